"""History splits what is coming and what was cancelled from the trips made; the demo has trips."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from sharing.demo import seed_past_trips, seed_sharing_demo
from sharing.models import Booking, BookingStatus, Hub, Trip, Vehicle
from sharing.selectors.history import history
from sharing.services import booking_cancel, booking_create
from tests.factories import UserFactory
from tests.sharing.conftest import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def test_a_future_cancelled_booking_is_not_a_past_trip(client, resident, hub, car, frozen):
    future = booking_create(
        resident=resident, hub=hub, start=NOW + 48 * H, end=NOW + 50 * H, promised_range_km=40
    )
    booking_cancel(booking=future)
    coming = booking_create(
        resident=resident, hub=hub, start=NOW + 72 * H, end=NOW + 74 * H, promised_range_km=40
    )
    page = history(user=resident)
    assert [c.booking.pk for c in page.cancelled] == [future.pk]
    assert [c.booking.pk for c in page.upcoming] == [coming.pk]
    assert page.past == []
    client.force_login(resident)
    html = client.get(reverse("sharing:history")).content.decode()
    past = html.split('id="history-past"', 1)[1].split("</section>", 1)[0]
    cancelled = html.split('id="history-cancelled"', 1)[1].split("</section>", 1)[0]
    detail = reverse("sharing:booking-detail", args=[future.pk])
    assert detail in cancelled and detail not in past
    assert "No past trips yet." in past
    upcoming = html.split('id="history-upcoming"', 1)[1].split("</section>", 1)[0]
    assert reverse("sharing:booking-detail", args=[coming.pk]) in upcoming


def test_the_demo_seeds_weeks_of_finished_trips_for_the_log_ins(frozen):
    residents = [UserFactory.create() for _ in range(4)]
    seed_sharing_demo(households=[r.household for r in residents], residents=residents, now=NOW)
    alice = residents[0]
    trips = Trip.objects.filter(booking__household=alice.household)
    assert trips.count() >= 4
    for trip in trips:
        assert trip.returned_at is not None and trip.returned_at <= NOW
        assert trip.booking.status == BookingStatus.COMPLETED
        assert trip.km and trip.km > 0 and trip.kwh_used and trip.kwh_used > 0
        assert trip.booking.price_estimate > 0
    earliest = trips.order_by("picked_up_at").first()
    assert earliest is not None and earliest.picked_up_at < NOW - timedelta(days=14)
    page = history(user=alice, now=NOW)
    assert page.km > 0 and page.kwh > 0 and page.cost > 0
    # The cars' current charge is not the last demo trip's.
    assert all(v.last_known_soc_at == NOW for v in Vehicle.objects.all())


def test_past_trips_seed_twice_makes_nothing_new(frozen):
    residents = [UserFactory.create() for _ in range(3)]
    seed_sharing_demo(households=[r.household for r in residents], residents=residents, now=NOW)
    count = Booking.objects.count()
    hub = Hub.objects.get(slug="wisselspoor")
    assert seed_past_trips(hub=hub, people=residents, now=NOW) == 0
    assert Booking.objects.count() == count


def test_history_page_shows_the_demo_trips_with_totals(client, frozen):
    residents = [UserFactory.create() for _ in range(2)]
    seed_sharing_demo(households=[r.household for r in residents], residents=residents, now=NOW)
    client.force_login(residents[0])
    html = client.get(reverse("sharing:history")).content.decode()
    assert 'id="history-totals"' in html and " km, " in html and "kWh" in html
    assert html.count("<tr>") >= 4


def test_history_in_dutch(client, frozen):
    residents = [UserFactory.create() for _ in range(2)]
    seed_sharing_demo(households=[r.household for r in residents], residents=residents, now=NOW)
    client.force_login(residents[0])
    html = client.get(reverse("sharing:history"), headers={"accept-language": "nl"}).content
    text = html.decode()
    assert "Eerdere ritten" in text or "ritten" in text
    assert "Binnenkort" in text
