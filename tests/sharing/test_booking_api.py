"""The bookings API as residents use it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from sharing.models import Booking
from sharing.services import booking_create
from tests.sharing.conftest import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
URL = "api-booking-list"


def body(hub, start=NOW + 2 * H, hours=2, km=50):
    return {
        "hub": hub.slug,
        "start": start.isoformat(),
        "end": (start + hours * H).isoformat(),
        "promised_range_km": km,
    }


def test_create_returns_booking_with_price_and_sends_mail(
    api, hub, car, frozen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse(URL), body(hub), format="json")
    assert response.status_code == 201
    assert response.json()["price_estimate"] == "15.00"  # 2 h * 4.50 + 50 km * 0.12
    assert len(mail.outbox) == 1 and "confirmed" in mail.outbox[0].subject


def test_idempotency_key_books_once(api, hub, car, frozen):
    first = api.post(reverse(URL), body(hub), format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    again = api.post(reverse(URL), body(hub), format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        ({"end": (NOW + H).isoformat()}, "end", "after the start"),
        ({"start": (NOW - 2 * H).isoformat()}, "start", "in the past"),
        (
            {
                "start": (NOW + timedelta(days=61)).isoformat(),
                "end": (NOW + timedelta(days=61, hours=1)).isoformat(),
            },
            "start",
            "60 days",
        ),
        ({"start": (NOW + 2 * H + timedelta(minutes=7)).isoformat()}, "start", "15-minute"),
        ({"promised_range_km": 10_000}, "promised_range_km", "at most"),
        ({"hub": "atlantis"}, "hub", "Unknown hub"),
        ({"start": "tomorrow-ish"}, "start", "date and time"),
    ],
)
def test_bad_input_is_400_per_field_and_writes_nothing(api, hub, car, frozen, change, field, text):
    response = api.post(reverse(URL), {**body(hub), **change}, format="json")
    assert response.status_code == 400
    assert text in " ".join(response.json()[field])
    assert not Booking.objects.exists()


def test_malformed_json_is_400(api, hub, frozen):
    response = api.post(reverse(URL), data='{"hub": "wissel', content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    assert not Booking.objects.exists()


def test_neighbour_cannot_read_change_or_cancel(resident, neighbour, hub, car, frozen):
    booking = booking_create(
        resident=resident, hub=hub, start=NOW + 2 * H, end=NOW + 3 * H, promised_range_km=10
    )
    client = APIClient()
    client.force_authenticate(neighbour)
    detail = reverse("api-booking-detail", args=[booking.pk])
    assert client.get(detail).status_code == 404
    assert client.post(detail + "cancel/").status_code == 404
    assert (
        client.post(
            detail + "extend/", {"end": (NOW + 4 * H).isoformat()}, format="json"
        ).status_code
        == 404
    )
    assert client.get(reverse(URL)).json()["results"] == []
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_household_member_and_staff_see_it(resident, fleet_admin, hub, car, frozen):
    from tests.factories import UserFactory

    booking = booking_create(
        resident=resident, hub=hub, start=NOW + 2 * H, end=NOW + 3 * H, promised_range_km=10
    )
    housemate = UserFactory.create(household=resident.household)
    for user in (housemate, fleet_admin):
        client = APIClient()
        client.force_authenticate(user)
        assert client.get(reverse("api-booking-detail", args=[booking.pk])).status_code == 200


def test_availability_agrees_with_booking(api, resident, neighbour, hub, car, frozen):
    # Someone drains the car before our window: less than the full range is left.
    booking_create(
        resident=resident, hub=hub, start=NOW + H, end=NOW + 2 * H, promised_range_km=280
    )
    start = NOW + 2 * H + 2 * hub.buffer  # the two blocks touch
    params = {"hub": hub.slug, "start": start.isoformat(), "end": (start + H).isoformat()}
    answer = api.get(reverse("api-availability"), params).json()
    n = answer["max_range_km"]
    assert answer["available"] and 0 < n < 280
    too_far = api.post(reverse(URL), body(hub, start=start, hours=1, km=n + 1), format="json")
    assert too_far.status_code == 409
    assert "no longer available" in too_far.json()["detail"]
    assert (
        api.post(reverse(URL), body(hub, start=start, hours=1, km=n), format="json").status_code
        == 201
    )
    # Alice's household is now at the hub's limit of open bookings (the answer would name that
    # rule): Bob, whose household has room, asks about the window the car is now taken in.
    bob = APIClient()
    bob.force_authenticate(neighbour)
    taken = bob.get(reverse("api-availability"), {**params, "range_km": 10}).json()
    assert not taken["available"]
    assert 0 < len(taken["suggestions"]) <= 5
    suggestion = taken["suggestions"][0]
    assert suggestion["max_range_km"] >= 10


def test_extend_shorten_cancel(api, resident, hub, car, frozen):
    booking = booking_create(
        resident=resident, hub=hub, start=NOW + 30 * H, end=NOW + 31 * H, promised_range_km=10
    )
    url = reverse("api-booking-detail", args=[booking.pk])
    extended = api.post(url + "extend/", {"end": (NOW + 33 * H).isoformat()}, format="json")
    assert extended.status_code == 200 and extended.json()["price_estimate"] == "14.70"
    # A second booking right after blocks a further extension of the only car.
    booking_create(
        resident=resident, hub=hub, start=NOW + 34 * H, end=NOW + 35 * H, promised_range_km=10
    )
    assert (
        api.post(url + "extend/", {"end": (NOW + 34 * H).isoformat()}, format="json").status_code
        == 409
    )
    assert (
        api.post(url + "shorten/", {"end": (NOW + 32 * H).isoformat()}, format="json").status_code
        == 200
    )
    cancelled = api.post(url + "cancel/")
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["fee"] == "0.00"


def test_api_root_and_schema_list_the_routes(api):
    assert {"availability", "bookings", "vehicles", "hubs"} <= set(api.get("/api/").json())
    schema = api.get(reverse("api-schema")).content.decode()
    for path in (
        "/api/availability/",
        "/api/bookings/{id}/extend/",
        "/api/hubs/",
        "/api/vehicles/",
    ):
        assert path in schema


def test_calendar_feed(resident, neighbour, hub, car, frozen, client):
    booking_create(
        resident=resident, hub=hub, start=NOW + 2 * H, end=NOW + 3 * H, promised_range_km=10
    )
    booking_create(
        resident=neighbour, hub=hub, start=NOW + 5 * H, end=NOW + 6 * H, promised_range_km=10
    )
    response = client.get(reverse("sharing:calendar", args=[resident.calendar_token]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert response.content.count(b"BEGIN:VEVENT") == 1
    assert client.get(reverse("sharing:calendar", args=["wrong"])).status_code == 404
