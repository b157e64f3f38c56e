"""The Book page on a phone, in English and Dutch: the form starts filled in and checked, the
day strip's free hours fill the form; History shows the trips. Visible, no horizontal scroll,
no console errors."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from sharing.models import BookingStatus, Trip
from tests.browser.conftest import go, no_horizontal_scroll, open_menu
from tests.factories import BookingFactory, HubFactory, VehicleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def console_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return errors


@pytest.fixture
def hub_with_car(db: None) -> Any:
    hub = HubFactory()
    VehicleFactory.create(hub=hub, plate="WS-001-E")
    return hub


def to_dutch(page: Any) -> None:
    open_menu(page)
    page.get_by_label("Language").select_option("nl")
    page.locator("#site-menu .lang button").click()
    page.wait_for_function("document.documentElement.lang === 'nl'")


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_book_starts_filled_in_and_the_strip_picks_a_time(
    page, login, screenshot, console_errors, resident, hub_with_car, lang
):
    login(resident)
    if lang == "nl":
        to_dutch(page)
    go(page, "Book" if lang == "en" else "Boeken")
    book_button = page.locator("#book-button")
    book_button.wait_for()  # the default window is checked already
    assert page.locator("#default-note").is_visible()
    strip = page.locator("#day-strip")
    assert strip.is_visible()
    assert no_horizontal_scroll(page)
    screenshot(f"book-default-{lang}")
    free = strip.locator("li.free a")
    assert free.count() > 0
    chosen = free.last.inner_text().split()[0]
    free.last.click()
    page.wait_for_url(re.compile(r"start="))
    assert page.get_by_label("From" if lang == "en" else "Van").input_value().endswith(chosen)
    page.locator("#book-button").wait_for()
    assert no_horizontal_scroll(page)
    screenshot(f"book-strip-picked-{lang}")
    assert console_errors == []


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_history_shows_past_trips_apart_from_cancelled(
    page, login, screenshot, console_errors, resident, hub_with_car, lang
):
    car = hub_with_car.vehicles.get()
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(days=3)
    past = BookingFactory.create(
        resident=resident, hub=hub_with_car, vehicle=car, start=start,
        status=BookingStatus.COMPLETED, price_estimate=Decimal("14.10"),
    )  # fmt: skip
    Trip.objects.create(
        booking=past, vehicle=car, picked_up_at=start, returned_at=start + timedelta(hours=2),
        odometer_out_km=1000, odometer_in_km=1042, kwh_used=Decimal("6.3"),
    )  # fmt: skip
    BookingFactory(
        resident=resident, hub=hub_with_car, start=start + timedelta(days=5),
        status=BookingStatus.CANCELLED,
    )  # fmt: skip
    login(resident)
    if lang == "nl":
        to_dutch(page)
    go(page, "History" if lang == "en" else "Geschiedenis")
    table = page.locator("#history-table")
    assert table.get_by_text("42", exact=True).is_visible()
    assert page.locator("#history-cancelled").is_visible()
    assert page.locator("#history-totals").is_visible()
    assert no_horizontal_scroll(page)
    screenshot(f"history-{lang}")
    assert console_errors == []
