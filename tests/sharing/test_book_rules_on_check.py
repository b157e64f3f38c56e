"""The Book page's availability answer applies every rule the booking applies, and says which."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sharing.demo import seed_sharing_demo
from sharing.models import OPEN_STATUSES, Booking, Hub
from sharing.selectors.book import availability
from sharing.services import booking_create
from tests.factories import UserFactory
from tests.sharing.conftest import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
URL = "/book/"
# NOW is 10:00 in Amsterdam on Tuesday 1 December 2026.
WINDOW = {"hub": "wisselspoor", "start": "2026-12-01T12:00", "end": "2026-12-01T14:00"}


@pytest.fixture
def full_household(hub, car, resident, frozen):
    """Alice's household has the hub's limit of open bookings (here 3) already."""
    hub.max_concurrent_bookings_per_household = 3
    hub.save()
    for day in (2, 3, 4):
        start = NOW + timedelta(days=day)
        booking_create(resident=resident, hub=hub, start=start, end=start + H, promised_range_km=20)
    return resident


def test_check_says_fair_use_blocks_before_the_book_button(client, full_household):
    client.force_login(full_household)
    response = client.get(URL, {**WINDOW, "range_km": "50"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "already has 3 open bookings" in html
    assert 'id="book-blocked"' in html
    assert 'id="book-button"' not in html  # no "Available … Book" that the booking refuses
    assert "Please correct the fields marked above" not in html  # nothing is marked


def test_htmx_check_shows_the_blocking_rule_in_the_fragment(client, full_household):
    client.force_login(full_household)
    response = client.get(URL, {**WINDOW, "range_km": "50"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "already has 3 open bookings" in html and "<html" not in html
    assert "Please correct the fields marked above" not in html


def test_refused_post_shows_the_rule_without_pointing_at_unmarked_fields(client, full_household):
    client.force_login(full_household)
    response = client.post(URL, {**WINDOW, "range_km": "50"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "already has 3 open bookings" in html
    assert "Please correct the fields marked above" not in html
    assert 'value="2026-12-01T12:00"' in html  # what was typed is kept
    assert Booking.objects.count() == 3


def test_weekly_hours_mark_the_until_field(client, hub, car, resident, frozen):
    hub.max_hours_per_week_per_household = 1
    hub.save()
    client.force_login(resident)
    response = client.get(URL, {**WINDOW, "range_km": "50"})
    html = response.content.decode()
    assert "at most 1 hours per week" in html
    assert "Please correct the fields marked above" in html
    assert 'id="book-button"' not in html


def test_unapproved_licence_is_said_on_check(client, hub, car, frozen):
    pending = UserFactory(licence_status="pending")
    client.force_login(pending)
    html = client.get(URL, {**WINDOW, "range_km": "50"}).content.decode()
    assert "driving licence is not approved" in html and 'id="book-button"' not in html


def test_a_free_resident_still_sees_available(client, hub, car, resident, frozen):
    client.force_login(resident)
    html = client.get(URL, {**WINDOW, "range_km": "50"}).content.decode()
    assert "Available" in html and 'id="book-button"' in html


def test_seeded_demo_residents_can_book_what_availability_offers(frozen):
    residents = [UserFactory.create() for _ in range(6)]
    seed_sharing_demo(households=[r.household for r in residents], residents=residents, now=NOW)
    hub = Hub.objects.get(slug="wisselspoor")
    for person in residents:
        open_count = Booking.objects.filter(
            household=person.household, status__in=OPEN_STATUSES, end__gt=NOW
        ).count()
        assert open_count < hub.max_concurrent_bookings_per_household
    alice = residents[0]
    start = NOW + timedelta(days=9)
    answer = availability(hub=hub, start=start, end=start + 2 * H, range_km=50, resident=alice)
    assert answer.available
    booking_create(resident=alice, hub=hub, start=start, end=start + 2 * H, promised_range_km=50)


def test_the_availability_api_names_the_rule_the_booking_would_break(full_household):
    from django.urls import reverse
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(full_household)
    params = {
        "hub": "wisselspoor",
        "start": "2026-12-01T12:00+01:00",
        "end": "2026-12-01T14:00+01:00",
        "range_km": "50",
    }
    response = api.get(reverse("api-availability"), params)
    assert response.status_code == 400
    assert "already has 3 open bookings" in str(response.json())
