"""Home, booking detail, change end, cancel and history, as residents see them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from sharing.models import Booking, BookingStatus, BookingVehicleChange, Trip
from sharing.services import booking_create
from tests.factories import (
    BayFactory,
    ChargingSessionFactory,
    PrivateCarFactory,
    UserFactory,
    VehicleFactory,
)
from tests.sharing.conftest import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def client_in(client, resident):
    client.force_login(resident)
    return client


@pytest.fixture
def booking(resident, hub, car, frozen):
    # 12:00-14:00 Amsterdam time on Tuesday 1 December 2026.
    return booking_create(
        resident=resident, hub=hub, start=NOW + 2 * H, end=NOW + 4 * H, promised_range_km=180
    )


@pytest.fixture
def far_booking(resident, hub, car, frozen):
    """Two days ahead: still free to cancel."""
    return booking_create(
        resident=resident,
        hub=hub,
        start=NOW + timedelta(days=2),
        end=NOW + timedelta(days=2, hours=2),
        promised_range_km=180,
    )


def detail(booking):
    return reverse("sharing:booking-detail", args=[booking.pk])


# --- Home --------------------------------------------------------------------------------------


def test_logged_out_home_is_a_landing_with_log_in_and_sign_up(client, db):
    html = client.get("/").content.decode()
    assert "Welcome to Wisselstroom" in html
    assert reverse("accounts:login") in html and reverse("accounts:signup") in html


def test_home_lists_upcoming_bookings_with_their_promise(client_in, booking):
    html = client_in.get("/").content.decode()
    assert "≥ 180 km at Tue 12:00" in html
    assert detail(booking) in html
    assert "car assigned shortly before the start" in html
    for name in ("sharing:book", "sharing:history", "energy:hub_index", "energy:my_car"):
        assert reverse(name) in html
    assert reverse("accounts:profile") in html


def test_home_shows_a_housemates_booking_but_not_a_neighbours(client, booking, neighbour):
    housemate = UserFactory.create(household=booking.household)
    client.force_login(housemate)
    assert "≥ 180 km" in client.get("/").content.decode()
    client.force_login(neighbour)
    assert "≥ 180 km" not in client.get("/").content.decode()


def test_home_shows_car_and_bay_and_a_changed_car(client_in, booking, hub, car):
    bay = BayFactory.create(hub=hub, label="P07")
    other = VehicleFactory.create(hub=hub, plate="WS-777-E", home_bay=bay)
    Booking.objects.filter(pk=booking.pk).update(vehicle=other, status=BookingStatus.BOUND)
    BookingVehicleChange.objects.create(
        booking=booking, old_vehicle=None, new_vehicle=car, reason="due"
    )
    BookingVehicleChange.objects.create(
        booking=booking, old_vehicle=car, new_vehicle=other, reason="previous user is late"
    )
    html = client_in.get("/").content.decode()
    assert "car WS-777-E" in html and "bay P07" in html
    assert "Your car has changed: you now get WS-777-E" in html


def test_home_warns_when_the_previous_user_is_late(client_in, booking, resident, hub, car):
    earlier = booking_create(
        resident=UserFactory.create(),
        hub=hub,
        start=NOW + timedelta(days=1),
        end=NOW + timedelta(days=1, hours=2),
        promised_range_km=10,
    )
    Booking.objects.filter(pk=earlier.pk).update(
        status=BookingStatus.ACTIVE,
        vehicle=car,
        late_since=NOW,
        start=NOW - 3 * H,
        end=NOW - H,
        block_start=NOW - 3 * H,
        block_end=NOW - H,
    )
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.BOUND, vehicle=car)
    html = client_in.get("/").content.decode()
    assert "The previous user of this car is late" in html


# --- Booking detail ----------------------------------------------------------------------------


def test_detail_shows_times_promise_price_and_the_late_fee(client_in, booking):
    html = client_in.get(detail(booking)).content.decode()
    assert "Tuesday 1 December 2026, 12:00" in html
    assert "≥ 180 km at Tue 1 Dec 12:00" in html
    assert "€&nbsp;30.60" in html  # 2 h * 4.50 + 180 km * 0.12
    assert "Cancelling now costs € 5.00" in html
    assert reverse("sharing:booking-cancel", args=[booking.pk]) in html


def test_detail_says_cancelling_is_free_two_days_ahead(client_in, far_booking):
    html = client_in.get(detail(far_booking)).content.decode()
    assert "Thursday 3 December 2026, 10:00" in html
    assert "Cancelling now is free" in html


def test_neighbour_gets_404_everywhere(client, booking, neighbour):
    client.force_login(neighbour)
    cancel = reverse("sharing:booking-cancel", args=[booking.pk])
    change = reverse("sharing:booking-change-end", args=[booking.pk])
    assert client.get(detail(booking)).status_code == 404
    assert client.get(cancel).status_code == 404
    assert client.post(cancel).status_code == 404
    assert client.get(change, {"end": "2026-12-01T15:00"}).status_code == 404
    assert client.post(change, {"end": "2026-12-01T15:00"}).status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.end == NOW + 4 * H


# --- Cancel ------------------------------------------------------------------------------------


def test_cancel_confirmation_says_free_then_cancels(client_in, far_booking):
    booking = far_booking
    url = reverse("sharing:booking-cancel", args=[booking.pk])
    page = client_in.get(url).content.decode()
    assert "Cancelling is free of charge." in page
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED  # looking costs nothing
    response = client_in.post(url, follow=True)
    assert "cancelled, free of charge" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and booking.fee == 0


def test_late_cancel_shows_the_fee_before_confirming(client_in, booking, hub):
    assert hub.free_cancel_hours_before == 24  # booking starts in 2 h: the fee applies
    url = reverse("sharing:booking-cancel", args=[booking.pk])
    assert "cancelling costs € 5.00" in client_in.get(url).content.decode()
    client_in.post(url)
    booking.refresh_from_db()
    assert booking.fee == Decimal("5.00")


def test_cancel_page_of_a_cancelled_booking_goes_back_with_a_message(client_in, booking):
    url = reverse("sharing:booking-cancel", args=[booking.pk])
    client_in.post(url)
    response = client_in.get(url, follow=True)
    assert "Only a booking that has not started can be cancelled." in response.content.decode()


# --- Change end --------------------------------------------------------------------------------


def test_extend_shows_the_new_price_then_changes_the_end(client_in, booking):
    url = reverse("sharing:booking-change-end", args=[booking.pk])
    preview = client_in.get(url, {"end": "2026-12-01T15:00"})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Extend until Tue 1 Dec 15:00" in html
    assert "€ 35.10 (was € 30.60)" in html
    booking.refresh_from_db()
    assert booking.end == NOW + 4 * H
    response = client_in.post(url, {"end": "2026-12-01T15:00"}, follow=True)
    assert "The end of your booking is changed." in response.content.decode()
    booking.refresh_from_db()
    assert booking.end == NOW + 5 * H


def test_shorten(client_in, booking):
    url = reverse("sharing:booking-change-end", args=[booking.pk])
    assert "Shorten until" in client_in.get(url, {"end": "2026-12-01T13:00"}).content.decode()
    client_in.post(url, {"end": "2026-12-01T13:00"})
    booking.refresh_from_db()
    assert booking.end == NOW + 3 * H


@pytest.mark.parametrize(
    ("end", "text"),
    [
        ("2026-12-01T11:00", "End must be after the start."),
        ("2026-12-01T13:10", "15-minute step"),
        ("2026-12-01T14:00", "That is the current end."),
        ("soon", "Enter a date and time"),
    ],
)
def test_bad_new_end_is_an_error_next_to_the_field(client_in, booking, end, text):
    url = reverse("sharing:booking-change-end", args=[booking.pk])
    for response in (client_in.get(url, {"end": end}), client_in.post(url, {"end": end})):
        assert response.status_code == 400
        html = response.content.decode()
        assert text in html.split('id="end-errors"', 1)[1]
        assert f'value="{end}"' in html
    booking.refresh_from_db()
    assert booking.end == NOW + 4 * H


def test_extension_into_someone_elses_booking_is_409_with_the_message(client_in, booking, hub, car):
    booking_create(
        resident=UserFactory.create(),
        hub=hub,
        start=NOW + 5 * H,
        end=NOW + 7 * H,
        promised_range_km=100,
    )
    url = reverse("sharing:booking-change-end", args=[booking.pk])
    response = client_in.post(url, {"end": "2026-12-01T17:00"})
    assert response.status_code == 409
    assert "cannot be extended" in response.content.decode()
    booking.refresh_from_db()
    assert booking.end == NOW + 4 * H


# --- History -----------------------------------------------------------------------------------


def test_history_lists_past_trips_with_km_kwh_and_cost(client_in, resident, hub, car, frozen):
    past = booking_create(
        resident=resident, hub=hub, start=NOW + 2 * H, end=NOW + 4 * H, promised_range_km=100
    )
    Booking.objects.filter(pk=past.pk).update(
        status=BookingStatus.COMPLETED,
        vehicle=car,
        start=NOW - 30 * H,
        end=NOW - 28 * H,
        block_start=NOW - 30 * H,
        block_end=NOW - 28 * H,
    )
    Trip.objects.create(
        booking=past,
        vehicle=car,
        picked_up_at=NOW - 30 * H,
        returned_at=NOW - 28 * H,
        odometer_out_km=1000,
        odometer_in_km=1083,
        kwh_used=Decimal("13.45"),
    )
    html = client_in.get(reverse("sharing:history")).content.decode()
    row = html.split("<tbody>", 1)[1]
    assert '<td class="num">83</td>' in row
    assert '<td class="num">13.5</td>' in row
    assert "€&nbsp;21.00" in html  # 2 h * 4.50 + 100 km * 0.12
    assert "Your own car" not in html


def test_history_shows_cancelled_fee_and_own_car_feed_back(client_in, resident, booking):
    client_in.post(reverse("sharing:booking-cancel", args=[booking.pk]))
    car = PrivateCarFactory.create(owner=resident)
    ChargingSessionFactory(car=car, status="ended", energy_fed_back_kwh=Decimal("7.25"))
    html = client_in.get(reverse("sharing:history")).content.decode()
    assert "cancelled" in html and "€&nbsp;5.00" in html
    assert "7.2 kWh" in html or "7.3 kWh" in html
    assert reverse("energy:my_car") in html


def test_history_is_for_the_household_only(client, booking, neighbour):
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.COMPLETED)
    client.force_login(neighbour)
    assert detail(booking) not in client.get(reverse("sharing:history")).content.decode()


def test_pages_need_login(client, booking):
    for url in (reverse("sharing:history"), detail(booking)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_nav_reaches_book_history_and_account(client_in, hub):
    html = client_in.get(reverse("sharing:history")).content.decode()
    for name in ("sharing:book", "sharing:history", "sharing:home", "accounts:profile"):
        assert f'href="{reverse(name)}"' in html


def test_dutch_booking_detail_uses_dutch_words_dates_and_numbers(client_in, booking, settings):
    html = client_in.get(detail(booking), headers={"Accept-Language": "nl"}).content.decode()
    assert "≥ 180 km om di 1 dec 12:00" in html  # Dutch month names in lower case
    assert "Dec" not in html
    assert "dinsdag 1 december 2026, 12:00" in html
    assert "€&nbsp;30,60" in html  # a decimal comma
    assert "Verlengen of inkorten" in html
