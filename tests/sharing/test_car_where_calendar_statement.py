"""Which car and where once bound; the calendar feed linked with a way to renew its secret; the
household's monthly statement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import User
from sharing.models import BookingStatus, Trip
from tests.factories import BayFactory, BookingFactory, VehicleFactory

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def bound(resident, hub, frozen):
    bay = BayFactory(hub=hub, label="B07")
    car = VehicleFactory.create(hub=hub, plate="WS-07-EV", home_bay=bay)
    hub.latitude, hub.longitude = Decimal("52.094500"), Decimal("5.098900")
    hub.address = "Wisselspoor, Utrecht"
    hub.save()
    from tests.sharing.conftest import NOW

    return BookingFactory.create(
        resident=resident, hub=hub, vehicle=car, status=BookingStatus.BOUND,
        start=NOW + 2 * H, end=NOW + 4 * H,
    )  # fmt: skip


def test_bound_booking_says_which_car_and_where(client, resident, bound):
    client.force_login(resident)
    html = client.get(reverse("sharing:booking-detail", args=[bound.pk])).content.decode()
    where = html.split('id="car-where"', 1)[1].split("</section>", 1)[0]
    assert "WS-07-EV" in where and "Bay B07 at hub" in where and "Wisselspoor, Utrecht" in where
    assert "openstreetmap.org/?mlat=52.094500&amp;mlon=5.098900" in where


def test_map_link_keeps_a_decimal_point_in_dutch(client, resident, bound):
    client.force_login(resident)
    html = client.get(
        reverse("sharing:booking-detail", args=[bound.pk]), headers={"accept-language": "nl"}
    ).content.decode()
    assert "mlat=52.094500" in html and "Vak B07" in html


def test_an_unbound_booking_shows_no_car_card(client, resident, bound):
    bound.status, bound.vehicle = BookingStatus.CONFIRMED, None
    bound.save()
    client.force_login(resident)
    html = client.get(reverse("sharing:booking-detail", args=[bound.pk])).content.decode()
    assert 'id="car-where"' not in html


def test_home_links_the_calendar_feed_and_renewing_revokes_it(client, resident, hub):
    client.force_login(resident)
    old = resident.calendar_token
    html = client.get(reverse("sharing:home")).content.decode()
    feed = reverse("sharing:calendar", args=[old])
    assert f"http://testserver{feed}" in html and f"webcal://testserver{feed}" in html
    response = client.post(reverse("sharing:calendar-renew"))
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.calendar_token != old
    assert client.get(feed).status_code == 404  # the old address no longer works
    assert (
        client.get(reverse("sharing:calendar", args=[resident.calendar_token])).status_code == 200
    )
    assert "renewed" in client.get(reverse("sharing:home")).content.decode()


def test_renewing_needs_post_and_login(client, resident):
    assert client.post(reverse("sharing:calendar-renew")).status_code == 302  # to log in
    client.force_login(resident)
    assert client.get(reverse("sharing:calendar-renew")).status_code == 405
    assert User.objects.get(pk=resident.pk).calendar_token == resident.calendar_token


def _trip(booking, km, kwh):
    return Trip.objects.create(
        booking=booking, vehicle=booking.vehicle, picked_up_at=booking.start,
        returned_at=booking.end, odometer_out_km=100, odometer_in_km=100 + km,
        kwh_used=Decimal(kwh),
    )  # fmt: skip


def test_statement_sums_trips_and_fees_of_the_household_month(client, resident, neighbour, hub):
    car = VehicleFactory.create(hub=hub)
    nov = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    a = BookingFactory(resident=resident, hub=hub, vehicle=car, start=nov, end=nov + 2 * H,
                       status=BookingStatus.COMPLETED, price_estimate=Decimal("12.50"))  # fmt: skip
    _trip(a, 40, "6.5")
    b = BookingFactory(resident=resident, hub=hub, vehicle=car, start=nov + 72 * H,
                       end=nov + 75 * H, status=BookingStatus.COMPLETED,
                       price_estimate=Decimal("20.00"))  # fmt: skip
    _trip(b, 60, "9.0")
    BookingFactory(resident=resident, hub=hub, start=nov + 100 * H, end=nov + 101 * H,
                   status=BookingStatus.CANCELLED, fee=Decimal("5.00"))  # fmt: skip
    # Another month, and another household: not on this statement.
    dec = BookingFactory(resident=resident, hub=hub, vehicle=car, start=nov + 30 * 24 * H,
                         end=nov + 30 * 24 * H + H, status=BookingStatus.COMPLETED)  # fmt: skip
    _trip(dec, 99, "1")
    other = BookingFactory.create(resident=neighbour, hub=hub, vehicle=car, start=nov + 5 * H,
                           end=nov + 6 * H, status=BookingStatus.COMPLETED)  # fmt: skip
    _trip(other, 77, "1")
    client.force_login(resident)
    response = client.get(reverse("sharing:statement"), {"month": "2026-11"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "November 2026" in html
    totals = html.split('id="statement-totals"', 1)[1].split("</ul>", 1)[0]
    assert "100 km" in totals and "15.5 kWh" in totals
    assert "€&nbsp;37.50" in totals  # 12.50 + 20.00 + a 5.00 fee
    assert "99" not in html.split('id="statement-trips"', 1)[1].split("</table>", 1)[0]
    assert reverse("sharing:booking-detail", args=[other.pk]) not in html
    assert 'id="statement-fees"' in html
    assert "?month=2026-10" in html and "?month=2026-12" in html


def test_statement_in_dutch_has_dutch_month_and_decimal_comma(client, resident, hub):
    car = VehicleFactory.create(hub=hub)
    nov = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    a = BookingFactory(resident=resident, hub=hub, vehicle=car, start=nov, end=nov + 2 * H,
                       status=BookingStatus.COMPLETED, price_estimate=Decimal("12.50"))  # fmt: skip
    _trip(a, 40, "6.5")
    client.force_login(resident)
    html = client.get(
        reverse("sharing:statement"), {"month": "2026-11"}, headers={"accept-language": "nl"}
    ).content.decode()
    assert "november 2026" in html and "€&nbsp;12,50" in html


@pytest.mark.parametrize("bad", ["november", "2026-13", "0001-01", "2026-11-05", "\u0661-1"])
def test_a_bad_month_is_a_400_that_keeps_what_was_typed(client, resident, bad):
    client.force_login(resident)
    response = client.get(reverse("sharing:statement"), {"month": bad})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter a month like 2026-11." in html
    assert 'id="statement-totals"' not in html


def test_statement_without_a_month_is_this_month(client, resident, frozen):
    client.force_login(resident)
    response = client.get(reverse("sharing:statement"))
    assert response.status_code == 200 and "December 2026" in response.content.decode()
