"""Who may read, change and cancel a booking on the resident pages and the API.

Alice's household booked at the Wisselspoor hub. Bob (another household) and Olga (a fleet admin
who manages only another hub) must not learn it exists: 404 everywhere. Harm manages Alice's hub:
he may read it, but changes and cancellations are for Alice's household here and for Harm in the
admin (403). Whatever they try, the booking stays as it was.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.test import APIClient

from sharing.models import Booking
from sharing.services import booking_create
from tests.factories import HubFactory, UserFactory
from tests.sharing.conftest import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def _manager(email: str, hub) -> object:
    user = UserFactory.create(email=email, is_staff=True, household=None)
    user.groups.add(Group.objects.get(name="Fleet admins"))
    hub.managers.add(user)
    return user


@pytest.fixture
def other_hub_manager(db):
    """Olga manages the Zonnehof hub only."""
    return _manager("olga@example.org", HubFactory(slug="zonnehof", name="Zonnehof"))


@pytest.fixture
def hub_manager(hub):
    """Harm manages Alice's hub."""
    return _manager("harm@example.org", hub)


@pytest.fixture
def booking(resident, hub, car, frozen):
    return booking_create(
        resident=resident,
        hub=hub,
        start=NOW + timedelta(days=2),
        end=NOW + timedelta(days=2, hours=2),
        promised_range_km=50,
    )


def _snapshot(booking: Booking) -> tuple[object, ...]:
    booking.refresh_from_db()
    return (booking.status, booking.start, booking.end, booking.fee, booking.cancelled_at)


def _page_requests(booking: Booking) -> list[tuple[str, str, dict[str, str]]]:
    cancel = reverse("sharing:booking-cancel", args=[booking.pk])
    change = reverse("sharing:booking-change-end", args=[booking.pk])
    later = (booking.end + H).astimezone(booking.hub.tz).strftime("%Y-%m-%dT%H:%M")
    return [
        ("get", cancel, {}),
        ("post", cancel, {}),
        ("get", change, {"end": later}),
        ("post", change, {"end": later}),
    ]


def _api_requests(booking: Booking) -> list[tuple[str, dict[str, str]]]:
    detail = reverse("api-booking-detail", args=[booking.pk])
    later = (booking.end + H).isoformat()
    earlier = (booking.end - H).isoformat()
    return [
        (detail + "cancel/", {}),
        (detail + "extend/", {"end": later}),
        (detail + "shorten/", {"end": earlier}),
    ]


# --- API ---------------------------------------------------------------------------------------


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("who", ["neighbour", "other_hub_manager"])
def test_api_of_another_household_or_hub_is_404_and_changes_nothing(request, booking, who):
    client = _api(request.getfixturevalue(who))
    before = _snapshot(booking)
    assert client.get(reverse("api-booking-detail", args=[booking.pk])).status_code == 404
    assert booking.pk not in [
        b["id"] for b in client.get(reverse("api-booking-list")).json()["results"]
    ]
    for url, data in _api_requests(booking):
        assert client.post(url, data, format="json").status_code == 404, url
    assert _snapshot(booking) == before


@pytest.mark.parametrize("who", ["hub_manager", "fleet_admin"])
def test_api_staff_read_but_get_403_on_changes(request, booking, who):
    client = _api(request.getfixturevalue(who))
    before = _snapshot(booking)
    assert client.get(reverse("api-booking-detail", args=[booking.pk])).status_code == 200
    for url, data in _api_requests(booking):
        response = client.post(url, data, format="json")
        assert response.status_code == 403, url
        assert "household" in response.json()["detail"]
    assert _snapshot(booking) == before


def test_hub_manager_lists_only_bookings_of_their_hubs(
    resident, hub_manager, other_hub_manager, booking
):
    assert [
        b["id"] for b in _api(hub_manager).get(reverse("api-booking-list")).json()["results"]
    ] == [booking.pk]
    assert _api(other_hub_manager).get(reverse("api-booking-list")).json()["results"] == []


def test_owner_still_cancels_through_the_api(resident, booking):
    response = _api(resident).post(reverse("api-booking-detail", args=[booking.pk]) + "cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_staff_without_the_view_permission_read_only_their_household(booking):
    """is_staff alone (no group, no permission) is not a fleet admin."""
    clerk = UserFactory.create(email="clerk@example.org", is_staff=True, household=None)
    assert _api(clerk).get(reverse("api-booking-detail", args=[booking.pk])).status_code == 404
