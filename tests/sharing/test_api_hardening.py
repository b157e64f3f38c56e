"""What a fuzzing probe sends the API: every bad input is a 4xx that says what is wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from sharing.models import Booking
from sharing.services import booking_create
from tests.sharing.conftest import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
BOOKINGS = reverse("api-booking-list")


@pytest.fixture
def booked(resident, hub, car, frozen):
    return booking_create(
        resident=resident, hub=hub, start=NOW + 2 * H, end=NOW + 4 * H, promised_range_km=50
    )


def test_huge_limit_is_capped(api, booked):
    response = api.get(BOOKINGS, {"limit": "9" * 30})

    assert response.status_code == 200
    assert [b["id"] for b in response.json()["results"]] == [booked.pk]


@pytest.mark.parametrize(
    ("params", "field", "text"),
    [
        ({"offset": "9" * 30}, "offset", "from 0 to 1000000"),
        ({"offset": "1000001"}, "offset", "from 0 to 1000000"),
        ({"offset": "-1"}, "offset", "from 0 to"),
        ({"offset": "ten"}, "offset", "whole number"),
        ({"limit": "0"}, "limit", "at least 1"),
        ({"limit": "many"}, "limit", "whole number"),
        ({"limit": "9" * 5000}, "limit", "whole number"),
    ],
)
@pytest.mark.parametrize("url", [BOOKINGS, reverse("api-hub-list"), reverse("api-vehicle-list")])
def test_absurd_paging_is_400_with_a_message(api, booked, url, params, field, text):
    response = api.get(url, params)

    assert response.status_code == 400
    assert text in " ".join(response.json()[field])


def test_ordinary_paging_still_works(api, booked):
    assert api.get(BOOKINGS, {"limit": "1", "offset": "0"}).json()["count"] == 1
    assert api.get(BOOKINGS, {"offset": "5"}).json()["results"] == []


NUL_MESSAGE = "NUL character"


@pytest.mark.parametrize(
    "path",
    [
        "/api/hubs/wissel%00spoor/",
        "/api/bookings/?limit=1%00",
        "/api/availability/?hub=wisselspoor%00&start=2026-12-01T12:00&end=2026-12-01T13:00",
        "/api/vehicles/?x=%00",
    ],
)
def test_nul_in_path_or_query_is_400(api, hub, path):
    response = api.get(path)

    assert response.status_code == 400
    assert NUL_MESSAGE in response.json()["detail"]


def test_nul_in_a_json_body_is_400(api, hub, car, frozen):
    body = {
        "hub": hub.slug,
        "start": (NOW + 2 * H).isoformat(),
        "end": (NOW + 3 * H).isoformat(),
        "promised_range_km": 50,
    }
    for field, value in [("hub", hub.slug + "\x00"), ("start", body["start"] + "\x00")]:
        response = api.post(BOOKINGS, {**body, field: value}, format="json")
        assert response.status_code == 400
        assert NUL_MESSAGE in response.json()["detail"]
    assert not Booking.objects.exists()


def test_a_json_body_with_an_escaped_backslash_is_not_mistaken_for_nul(api, hub, car, frozen):
    raw = '{"hub": "HUB", "start": "x\\\\u0000", "end": "y", "promised_range_km": 5}'
    raw = raw.replace("HUB", hub.slug)
    response = api.post(BOOKINGS, raw, content_type="application/json")

    assert response.status_code == 400
    assert "start" in response.json()  # the ordinary per-field answer, not the NUL guard


def test_nul_in_a_form_is_400(client, resident, hub):
    client.force_login(resident)
    url = reverse("accounts:profile")
    multipart = client.post(url, {"full_name": "Alice\x00", "phone": ""})
    urlencoded = client.post(
        url, "full_name=Alice%00&phone=", content_type="application/x-www-form-urlencoded"
    )

    for response in (multipart, urlencoded):
        assert response.status_code == 400
        assert NUL_MESSAGE in response.content.decode()
    resident.refresh_from_db()
    assert resident.full_name == "Alice Visser"


def test_nul_in_a_page_path_is_400(client, hub):
    response = client.get("/calendar/abc%00def.ics")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


def test_anonymous_api_request_is_401_with_a_token_challenge(hub):
    response = APIClient().get(BOOKINGS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.fixture
def schema(api):
    response = api.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_schema_says_booking_car_and_bay_may_be_null(schema):
    booking = schema["components"]["schemas"]["Booking"]["properties"]
    vehicle = schema["components"]["schemas"]["Vehicle"]["properties"]

    assert booking["vehicle"].get("nullable") is True
    assert booking["bay"].get("nullable") is True
    assert vehicle["bay"].get("nullable") is True


def test_schema_documents_the_error_answers(schema):
    paths = schema["paths"]

    def codes(path, method):
        return set(paths[path][method]["responses"])

    assert {"201", "400", "401", "403", "409"} <= codes("/api/bookings/", "post")
    assert {"200", "400", "401", "403"} <= codes("/api/bookings/", "get")
    assert {"200", "401", "403", "404"} <= codes("/api/bookings/{id}/", "get")
    assert "400" not in codes("/api/bookings/{id}/", "get")
    assert {"200", "400", "401", "403", "404", "409"} <= codes("/api/bookings/{id}/extend/", "post")
    assert {"200", "400", "401", "403"} <= codes("/api/availability/", "get")
    assert {"200", "401", "403", "404"} <= codes("/api/hubs/{slug}/", "get")
    error = schema["components"]["schemas"]["ErrorDetail"]
    assert error["properties"]["detail"]["type"] == "string"
    assert "ValidationError" in schema["components"]["schemas"]


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00", "0001-01-01T00:30+05:00", "9999-12-31T23:45-10:00"]
)
def test_a_date_at_the_edge_of_the_calendar_is_400(api, hub, car, frozen, moment):
    """Year 1 in Amsterdam is year 0 in UTC: once an OverflowError, a 500."""
    window = {"hub": hub.slug, "start": moment, "end": moment}

    checked = api.get(reverse("api-availability"), window)
    booked = api.post(BOOKINGS, {**window, "promised_range_km": 5}, format="json")

    for response in (checked, booked):
        assert response.status_code == 400
        assert "out of range" in " ".join(response.json()["start"])
    assert not Booking.objects.exists()


def test_a_date_at_the_edge_of_the_calendar_is_refused_on_the_book_page(
    client, resident, hub, car, frozen
):
    client.force_login(resident)
    window = {"hub": hub.slug, "start": "0001-01-01T00:00", "end": "0001-01-01T01:00"}

    checked = client.get("/book/", {**window, "range_km": "5"})
    booked = client.post("/book/", {**window, "range_km": "5"})

    assert checked.status_code == 200 and booked.status_code == 400
    for response in (checked, booked):
        assert "out of range" in response.content.decode()
    assert not Booking.objects.exists()
