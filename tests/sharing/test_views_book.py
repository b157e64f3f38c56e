"""The Book page: checking availability (plain and in place), booking, bad input, races."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from sharing.models import Booking
from sharing.services import booking_create
from tests.factories import HubFactory
from tests.sharing.conftest import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
URL = "/book/"
# NOW is 10:00 in Amsterdam on Tuesday 1 December 2026.
WINDOW = {"hub": "wisselspoor", "start": "2026-12-01T12:00", "end": "2026-12-01T14:00"}


@pytest.fixture
def client_in(client, resident):
    client.force_login(resident)
    return client


def query(**change):
    return {**WINDOW, "range_km": "50", **change}


def test_book_page_needs_login(client, hub):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_empty_book_page_has_labelled_fields_and_the_only_hub(client_in, hub, car, frozen):
    response = client_in.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    for name in ("hub", "start", "end", "range_km"):
        assert f'for="id_{name}"' in html
    assert 'type="datetime-local"' in html and 'step="900"' in html
    assert '<option value="wisselspoor" selected>' in html
    assert 'aria-live="polite"' in html
    assert "Vary" in response and "HX-Request" in response["Vary"]
    assert "errorlist" not in html


def test_check_shows_availability_price_and_a_book_button(client_in, hub, car, frozen):
    response = client_in.get(URL, query())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Available" in html
    assert "€&nbsp;15.00" in html  # 2 h * 4.50 + 50 km * 0.12
    assert 'name="idempotency_key"' in html
    assert 'value="2026-12-01T12:00"' in html  # what was typed is kept
    assert not Booking.objects.exists()


def test_htmx_check_returns_only_the_fragment_with_field_errors_out_of_band(
    client_in, hub, car, frozen
):
    response = client_in.get(URL, query(), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and '<form method="get"' not in html
    assert "Available" in html
    assert 'id="start-errors" class="field-errors" hx-swap-oob="true"' in html
    assert "HX-Request" in response["Vary"]


def test_htmx_check_while_typing_does_not_shout(client_in, hub, car, frozen):
    response = client_in.get(URL, {**WINDOW, "range_km": ""}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "errorlist" not in html
    assert "availability and the price show here" in html


def test_htmx_check_with_bad_input_puts_errors_next_to_the_fields(client_in, hub, car, frozen):
    response = client_in.get(URL, query(end="2026-12-01T11:00"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "End must be after the start." in html
    assert 'id="end-errors" class="field-errors" hx-swap-oob="true"><ul class="errorlist"' in html


def test_full_window_offers_nearby_windows_as_links(client_in, resident, hub, car, frozen):
    other = booking_create(
        resident=resident, hub=hub, start=NOW + 3 * H, end=NOW + 5 * H, promised_range_km=50
    )
    assert other.pk
    response = client_in.get(URL, query())
    html = response.content.decode()
    assert "Not available" in html
    assert "Nearby times that are free" in html
    assert "/book/?hub=wisselspoor&amp;start=2026-12-01T" in html
    assert 'id="book-button"' not in html


def test_post_books_and_shows_the_confirmation(client_in, resident, hub, car, frozen):
    response = client_in.post(URL, {**query(), "idempotency_key": "k1"}, follow=True)
    booking = Booking.objects.get()
    assert booking.resident == resident and booking.promised_range_km == 50
    assert response.redirect_chain[-1][0] == reverse("sharing:booking-detail", args=[booking.pk])
    html = response.content.decode()
    assert "Booked!" in html
    assert "≥ 50 km at Tue 1 Dec 12:00" in html


def test_double_submit_books_once(client_in, hub, car, frozen):
    data = {**query(), "idempotency_key": "same-key"}
    first = client_in.post(URL, data)
    second = client_in.post(URL, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        ({"end": "2026-12-01T11:00"}, "end", "End must be after the start."),
        ({"start": "2026-12-01T08:00"}, "start", "Start is in the past."),
        ({"start": "2026-12-01T12:07"}, "start", "15-minute step"),
        ({"range_km": "10000"}, "range_km", "you can ask for at most"),
        ({"hub": "atlantis"}, "hub", "Unknown hub"),
        ({"start": "tomorrow-ish"}, "start", "Enter a date and time"),
        ({"range_km": "-5"}, "range_km", "greater than or equal to 0"),
    ],
)
def test_bad_input_keeps_what_was_typed_shows_the_error_and_writes_nothing(
    client_in, hub, car, frozen, change, field, text
):
    data = {**query(**change), "idempotency_key": "k"}
    for response in (client_in.get(URL, query(**change)), client_in.post(URL, data)):
        html = response.content.decode()
        assert response.status_code in (200, 400)
        errors = html.split(f'id="{field}-errors"', 1)[1].split("</div>", 1)[0]
        assert text in errors
        for name, value in change.items():
            if name != "hub":
                assert f'value="{value}"' in html
    assert client_in.post(URL, data).status_code == 400
    assert not Booking.objects.exists()


def test_race_lost_shows_the_message_with_the_form_and_409(client_in, resident, hub, car, frozen):
    # Someone else takes the only car between our check and our submit.
    booking_create(
        resident=resident, hub=hub, start=NOW + 2 * H, end=NOW + 4 * H, promised_range_km=50
    )
    response = client_in.post(URL, {**query(), "idempotency_key": "k2"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "no longer available" in html
    assert 'value="2026-12-01T12:00"' in html
    assert Booking.objects.count() == 1


def test_household_limit_is_a_form_error(client_in, resident, hub, frozen):
    from tests.factories import VehicleFactory

    VehicleFactory.create_batch(3, hub=hub)
    for hours in (20, 30):
        booking_create(
            resident=resident,
            hub=hub,
            start=NOW + hours * H,
            end=NOW + (hours + 1) * H,
            promised_range_km=10,
        )
    response = client_in.post(URL, {**query(), "idempotency_key": "k3"})
    assert response.status_code == 400
    assert "open bookings, the most allowed" in response.content.decode()
    assert Booking.objects.count() == 2


def test_two_hubs_have_no_default(client_in, hub, car, frozen):
    HubFactory.create(slug="zonnehof", name="Zonnehof")
    html = client_in.get(URL).content.decode()
    assert "Zonnehof" in html and "Wisselspoor" in html
