"""Pick-up and return on a phone, in English and Dutch, with a damage photo: visible, no
horizontal scroll, no console errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from sharing.models import BookingStatus, DamageReport
from tests.browser.conftest import no_horizontal_scroll, open_menu
from tests.factories import BayFactory, BookingFactory, HubFactory, VehicleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WORDS = {
    "en": ("Pick up the car", "Start the trip", "Return the car", "Odometer (km)", "Charge (%)",
           "Damage you found (optional)", "Photo of the damage (optional)", "End the trip"),
    "nl": ("Auto ophalen", "Rit starten", "Auto terugbrengen", "Kilometerstand (km)", "Lading (%)",
           "Schade die je zag (optioneel)", "Foto van de schade (optioneel)", "Rit beëindigen"),
}  # fmt: skip


@pytest.fixture
def console_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return errors


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_pick_up_and_return_with_a_damage_photo(
    page, login, screenshot, console_errors, resident, lang, tmp_path
):
    hub = HubFactory()
    car = VehicleFactory.create(hub=hub, plate="WS-07-EV", home_bay=BayFactory(hub=hub))
    now = timezone.now().replace(second=0, microsecond=0)
    booking = BookingFactory.create(
        resident=resident, hub=hub, vehicle=car, status=BookingStatus.BOUND,
        start=now + timedelta(minutes=5), end=now + timedelta(hours=2),
    )  # fmt: skip
    pick, start, back, odometer, charge, damage, photo, end = WORDS[lang]
    login(resident)
    if lang == "nl":
        open_menu(page)
        page.get_by_label("Language").select_option("nl")
        page.locator("#site-menu .lang button").click()
        page.wait_for_function("document.documentElement.lang === 'nl'")
    page.goto(f"/bookings/{booking.pk}/")
    page.get_by_role("link", name=pick).click()
    assert no_horizontal_scroll(page)
    page.get_by_role("button", name=start).click()
    page.get_by_role("link", name=back).wait_for()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ACTIVE
    page.get_by_role("link", name=back).click()
    page.get_by_label(odometer).fill(str(car.odometer_km + 35))
    page.get_by_label(charge).fill("64")
    page.get_by_label(damage).fill("Scratch on the left door")
    picture = tmp_path / "scratch.png"
    Image.new("RGB", (640, 480), "orange").save(picture)
    page.get_by_label(photo).set_input_files(str(picture))
    assert no_horizontal_scroll(page)
    screenshot(f"trip-return-{lang}")
    page.get_by_role("button", name=end).click()
    page.locator("#booking-status").wait_for()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED
    assert DamageReport.objects.get().photo
    assert console_errors == []
