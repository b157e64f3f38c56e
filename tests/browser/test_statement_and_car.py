"""At 390 x 844 in English and Dutch: the monthly statement, the calendar block on the home page
and the bound car's card with its photo. Visible, no horizontal scroll, no console errors."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from sharing.demo_photos import car_drawing
from sharing.models import BookingStatus, Trip
from sharing.services.vehicle_photos import vehicle_photo_set
from tests.browser.conftest import no_horizontal_scroll, open_menu
from tests.factories import BayFactory, BookingFactory, HubFactory, VehicleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def console_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return errors


@pytest.fixture
def household_trips(resident: Any) -> Any:
    hub = HubFactory(latitude=Decimal("52.0945"), longitude=Decimal("5.0989"))
    car = VehicleFactory.create(
        hub=hub, plate="WS-07-EV", home_bay=BayFactory(hub=hub, label="B07")
    )
    vehicle_photo_set(vehicle=car, photo=car_drawing(car.model))
    now = timezone.now().replace(second=0, microsecond=0)
    past = BookingFactory.create(
        resident=resident, hub=hub, vehicle=car, start=now - timedelta(hours=30),
        end=now - timedelta(hours=28), status=BookingStatus.COMPLETED,
        price_estimate=Decimal("12.50"),
    )  # fmt: skip
    Trip.objects.create(
        booking=past, vehicle=car, picked_up_at=past.start, returned_at=past.end,
        odometer_out_km=500, odometer_in_km=548, kwh_used=Decimal("7.2"),
    )  # fmt: skip
    return BookingFactory.create(
        resident=resident, hub=hub, vehicle=car, status=BookingStatus.BOUND,
        start=now + timedelta(hours=2), end=now + timedelta(hours=4),
    )  # fmt: skip


def to_dutch(page: Any) -> None:
    open_menu(page)
    page.get_by_label("Language").select_option("nl")
    page.locator("#site-menu .lang button").click()
    page.wait_for_function("document.documentElement.lang === 'nl'")


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_statement_calendar_and_car_on_a_phone(
    page, login, screenshot, console_errors, resident, household_trips, lang
):
    login(resident)
    if lang == "nl":
        to_dutch(page)
    page.goto("/")
    assert page.locator("#calendar-feed").is_visible()
    assert no_horizontal_scroll(page)
    page.goto(f"/bookings/{household_trips.pk}/")
    where = page.locator("#car-where")
    assert where.is_visible() and "WS-07-EV" in where.inner_text()
    assert page.locator("#map-link").is_visible()
    photo = where.locator("img.car-photo")
    assert photo.is_visible() and "WS-07-EV" in (photo.get_attribute("alt") or "")
    # Loaded (not a broken image) and no wider than the phone's screen.
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0")
    box = photo.bounding_box()
    assert box is not None and box["width"] <= 390
    assert no_horizontal_scroll(page)
    screenshot(f"booking-car-where-{lang}")
    month = timezone.localtime(household_trips.start - timedelta(hours=32))
    page.goto(f"/statement/?month={month:%Y-%m}")  # the past trip's month, even on the 1st
    assert page.locator("#statement-totals").is_visible()
    assert "48 km" in page.locator("#statement-totals").inner_text()
    assert no_horizontal_scroll(page)
    screenshot(f"statement-{lang}")
    assert console_errors == []
