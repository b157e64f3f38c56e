"""Booking a car in a real browser at phone size: with htmx, without JavaScript, by keyboard."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from sharing.models import Booking, BookingStatus
from sharing.services import booking_create
from tests.browser.conftest import go
from tests.factories import PASSWORD, BayFactory, HubFactory, VehicleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FORMAT = "%Y-%m-%dT%H:%M"


@pytest.fixture(autouse=True)
def no_booking_replan(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """Booking changes ask energy for a re-plan; record instead of solving."""
    calls: list[tuple[int, str]] = []
    monkeypatch.setattr(
        "energy.receivers.replan_request",
        lambda *, hub_id, reason: calls.append((hub_id, reason)),
    )
    return calls


@pytest.fixture
def one_car_hub(transactional_db):
    hub = HubFactory.create()
    VehicleFactory.create(
        hub=hub, plate="WS-001-E", home_bay=BayFactory.create(hub=hub, label="P01")
    )
    return hub


def tomorrow_at(hour: int) -> datetime:
    """A local time the day after tomorrow, on the grid: more than 24 h away, so free to cancel."""
    day = timezone.localdate() + timedelta(days=2)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, 0))


def fill_window(page: Any, start: datetime, hours: int, km: int) -> None:
    page.get_by_label("From").fill(start.strftime(FORMAT))
    page.get_by_label("Until").fill((start + timedelta(hours=hours)).strftime(FORMAT))
    # Typed key by key, as a resident does: htmx listens to keyup. The form starts filled in
    # (the next sensible window), so the range is cleared first.
    page.get_by_label("Range needed (km)").fill("")
    page.get_by_label("Range needed (km)").press_sequentially(str(km))


def test_search_book_see_on_home_extend_cancel(page, login, screenshot, resident, one_car_hub):
    login(resident)
    go(page, "Book")
    assert page.get_by_role("heading", name="Book a car").is_visible()
    screenshot("book")
    start = tomorrow_at(9)
    fill_window(page, start, hours=3, km=180)
    # htmx checks as the resident types: the answer appears in place, no navigation.
    availability = page.locator("#availability")
    availability.get_by_role("heading", name="Available").wait_for()
    assert page.url.endswith("/book/")
    assert availability.get_attribute("aria-live") == "polite"
    page.wait_for_function(  # 3 * 4.50 + 180 * 0.12, once the answer about this window is in
        "() => /35[.,]10/.test(document.querySelector('#price-estimate')?.innerText || '')"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("book-availability")
    # Changing the range updates the price in place.
    page.get_by_label("Range needed (km)").fill("")
    page.get_by_label("Range needed (km)").press_sequentially("100")
    page.wait_for_function(
        "() => /25[.,]50/.test(document.querySelector('#price-estimate')?.innerText || '')"
    )
    page.get_by_role("button", name="Book with at least 100 km").click()
    page.get_by_text("Booked!").wait_for()
    booking = Booking.objects.get()
    assert booking.promised_range_km == 100 and booking.resident == resident
    screenshot("confirmation")

    go(page, "My bookings")
    expected = f"≥ 100 km at {timezone.localtime(booking.start):%a} 09:00"
    assert page.get_by_text(expected).is_visible()
    screenshot("home")

    page.get_by_role("link", name=re.compile(r"09:00 \u2013 12:00")).click()
    page.get_by_label("New end").fill((start + timedelta(hours=4)).strftime(FORMAT))
    page.get_by_role("button", name="See the new price").click()
    assert page.get_by_text("Extend until").is_visible()
    page.get_by_role("button", name="Confirm extension").click()
    page.get_by_text("The end of your booking is changed.").wait_for()
    booking.refresh_from_db()
    assert booking.end == start + timedelta(hours=4)
    screenshot("booking-detail")

    page.get_by_role("link", name="Cancel booking…").click()
    assert page.locator("#cancel-consequence").is_visible()
    page.get_by_role("button", name=re.compile("cancel", re.I)).first.click()
    page.get_by_text("Your booking is cancelled").wait_for()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED

    go(page, "History")
    # A cancelled booking is listed as cancelled, not among the past trips.
    assert page.locator("#history-cancelled").get_by_text("free of charge").is_visible()
    assert page.get_by_text("No past trips yet.").is_visible()
    screenshot("history")


def test_full_window_offers_nearby_times_that_fill_the_form(
    page, login, screenshot, resident, neighbour, one_car_hub
):
    start = tomorrow_at(9)
    booking_create(
        resident=neighbour,
        hub=one_car_hub,
        start=start,
        end=start + timedelta(hours=2),
        promised_range_km=50,
    )
    login(resident)
    page.goto("/book/")
    fill_window(page, start, hours=2, km=50)
    page.locator("#availability").get_by_role("heading", name="Not available").wait_for()
    screenshot("book-not-available")
    suggestion = page.locator(".suggestions a").first
    suggestion.click()
    page.get_by_role("heading", name="Available").wait_for()
    assert page.get_by_label("From").input_value() != start.strftime(FORMAT)


def login_without_js(context: Any, user: Any) -> Any:
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.goto("/accounts/login/")
    tab.get_by_label("E-mail address").fill(user.email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(lambda url: "/accounts/login/" not in url)
    return tab


def test_booking_works_without_javascript(browser, live_server, resident, one_car_hub):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        base_url=live_server.url,
        java_script_enabled=False,
        locale="en-GB",
        timezone_id="Europe/Amsterdam",
    )
    try:
        tab = login_without_js(context, resident)
        tab.goto("/book/")
        start = tomorrow_at(14)
        fill_window(tab, start, hours=2, km=60)
        tab.get_by_role("button", name="Check availability").click()
        # A plain GET: the answer is on a new page whose URL holds the query.
        tab.wait_for_url(re.compile(r"/book/\?.*range_km=60"))
        assert tab.get_by_role("heading", name="Available").is_visible()
        assert tab.get_by_label("Range needed (km)").input_value() == "60"
        tab.get_by_role("button", name="Book with at least 60 km").click()
        tab.get_by_text("Booked!").wait_for()
        booking = Booking.objects.get()
        tab.get_by_role("link", name="Cancel booking…").click()
        tab.get_by_role("button", name=re.compile("cancel", re.I)).first.click()
        tab.get_by_text("Your booking is cancelled").wait_for()
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED
        # Bad input without JavaScript: the error sits next to the field, what was typed stays.
        tab.goto("/book/")
        fill_window(tab, start, hours=2, km=10_000)
        tab.get_by_role("button", name="Check availability").click()
        assert tab.locator("#range_km-errors").get_by_text(re.compile("at most")).is_visible()
        assert tab.get_by_label("Range needed (km)").input_value() == "10000"
    finally:
        context.close()


def tab_to(page: Any, element_id: str, limit: int = 40) -> None:
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} never got the focus by keyboard")


def type_datetime(page: Any, moment: datetime) -> None:
    """Type into headless Chromium's datetime-local: month, day, year (then move on), time."""
    page.keyboard.type(moment.strftime("%m%d%Y"))
    page.keyboard.press("ArrowRight")
    page.keyboard.type(moment.strftime("%H%M"))


def test_keyboard_only_booking(page, login, resident, one_car_hub):
    login(resident)
    page.goto("/book/")
    start = tomorrow_at(16)
    end = start + timedelta(hours=2)
    tab_to(page, "id_start")
    type_datetime(page, start)
    tab_to(page, "id_end")
    type_datetime(page, end)
    tab_to(page, "id_range_km")
    page.keyboard.press("Control+A")
    page.keyboard.type("40")
    page.keyboard.press("Enter")
    assert page.get_by_label("From").input_value() == start.strftime(FORMAT)
    assert page.get_by_label("Until").input_value() == end.strftime(FORMAT)
    # The page opened with its default window checked: wait for the answer about this one.
    page.wait_for_function(
        "v => document.querySelector('form.confirm input[name=start]')?.value === v",
        arg=start.strftime(FORMAT),
    )
    page.locator("#availability").get_by_role("heading", name="Available").wait_for()
    tab_to(page, "book-button")
    page.keyboard.press("Enter")
    page.get_by_text("Booked!").wait_for()
    booking = Booking.objects.get()
    assert booking.start == start and booking.end == end and booking.promised_range_km == 40
