"""The Book form starts at a sensible window (the resident's usual one once there is one) and
shows the free hours of the day as a strip of links."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sharing.models import Booking, BookingStatus
from sharing.selectors.book import day_strip, default_window
from sharing.services import booking_create
from tests.factories import BookingFactory
from tests.sharing.conftest import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
URL = "/book/"


def test_a_new_resident_starts_at_the_next_hour_checked(client, resident, hub, car, frozen):
    # NOW is 10:00 in Amsterdam: half an hour to walk to the hub, so 11:00-13:00.
    client.force_login(resident)
    html = client.get(URL).content.decode()
    assert 'value="2026-12-01T11:00"' in html and 'value="2026-12-01T13:00"' in html
    assert 'value="50"' in html
    assert 'id="default-note"' in html and "next hour" in html
    assert 'id="book-button"' in html  # checked already: one tap to book
    assert not Booking.objects.exists()


def test_late_in_the_evening_the_default_is_tomorrow_morning(resident, hub, frozen):
    frozen.move_to(NOW.replace(hour=21))  # 22:00 in Amsterdam
    window = default_window(resident=resident, hub=hub)
    local = window.start.astimezone(hub.tz)
    assert (local.day, local.hour, local.minute) == (2, 9, 0) and not window.usual


def test_the_usual_window_is_the_residents_own(client, resident, hub, car, frozen):
    for days in (1, 2, 3, 8):
        start = (NOW - timedelta(days=days * 7)).replace(hour=17, minute=30)  # 18:30 local
        BookingFactory(
            resident=resident,
            hub=hub,
            start=start,
            end=start + 3 * H,
            promised_range_km=120,
            status=BookingStatus.COMPLETED,
        )
    window = default_window(resident=resident, hub=hub)
    local = window.start.astimezone(hub.tz)
    assert window.usual and (local.hour, local.minute) == (18, 30)
    assert window.end - window.start == 3 * H and window.range_km == 120
    client.force_login(resident)
    html = client.get(URL).content.decode()
    assert 'value="2026-12-01T18:30"' in html and "usually book" in html


def test_the_default_respects_fair_use(client, resident, hub, car, frozen):
    hub.max_concurrent_bookings_per_household = 1
    hub.save()
    booking_create(resident=resident, hub=hub, start=NOW + 50 * H, end=NOW + 52 * H,
                   promised_range_km=20)  # fmt: skip
    client.force_login(resident)
    html = client.get(URL).content.decode()
    assert "already has 1 open bookings" in html and 'id="book-button"' not in html


def test_strip_marks_free_and_taken_hours(resident, neighbour, hub, car, frozen):
    tomorrow = (NOW + 24 * H).astimezone(hub.tz).date()
    # The only car is out 12:00-14:00 local tomorrow.
    booking_create(
        resident=neighbour,
        hub=hub,
        start=NOW + 26 * H,
        end=NOW + 28 * H,
        promised_range_km=40,
    )
    strip = day_strip(hub=hub, day=tomorrow, length=H, range_km=40)
    by_hour = {c.start.astimezone(hub.tz).hour: c for c in strip.cells}
    assert sorted(by_hour) == list(range(7, 23))
    assert by_hour[9].free and by_hour[16].free
    assert not by_hour[12].free and not by_hour[13].free and by_hour[12].bookable
    # The turnaround buffer keeps the hour before taken too.
    assert not by_hour[11].free


def test_strip_hours_in_the_past_are_not_bookable(resident, hub, car, frozen):
    today = NOW.astimezone(hub.tz).date()
    strip = day_strip(hub=hub, day=today, length=H, range_km=10)
    by_hour = {c.start.astimezone(hub.tz).hour: c for c in strip.cells}
    assert not by_hour[8].bookable and not by_hour[8].free
    assert by_hour[15].free


def test_book_page_shows_the_strip_with_links_that_fill_the_form(
    client, resident, hub, car, frozen
):
    client.force_login(resident)
    query = {"hub": "wisselspoor", "start": "2026-12-02T10:00", "end": "2026-12-02T12:00"}
    html = client.get(URL, {**query, "range_km": "30"}).content.decode()
    strip = html.split('id="day-strip"', 1)[1].split("</section>", 1)[0]
    assert "Free times on Wednesday 2 December 2026" in strip
    assert "start=2026-12-02T15%3A00&amp;end=2026-12-02T17%3A00&amp;range_km=30" in strip
    assert 'rel="prev"' in strip and "start=2026-12-01T10%3A00" in strip  # the day before
    assert "start=2026-12-03T10%3A00" in strip


def test_strip_comes_with_the_htmx_fragment_and_in_dutch(client, resident, hub, car, frozen):
    client.force_login(resident)
    query = {"hub": "wisselspoor", "start": "2026-12-02T10:00", "end": "2026-12-02T12:00"}
    html = client.get(
        URL, {**query, "range_km": "30"}, headers={"HX-Request": "true", "accept-language": "nl"}
    ).content.decode()
    assert 'id="day-strip"' in html and "woensdag 2 december 2026" in html
