"""The hub dashboard's today at phone size (390 x 844), in English and Dutch: the past of the
day from an earlier plan, a small chart per shared car for 20 cars, the price and CO2 chart and
the grid card; visible, no horizontal scroll, no console errors, no serious axe violation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import no_horizontal_scroll
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_header_and_pwa import console_errors, switch_language  # noqa: F401
from tests.factories import HubFactory, SiteFactory, VehicleFactory, current_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {"cars": "Charge of each shared car today", "grid": "for the grid today"},
    "nl": {"cars": "Laadstand van elke deelauto vandaag", "grid": "voor het net gedaan"},
}


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_dashboard_today_on_a_phone(page, login, screenshot, console_errors, resident, lang):  # noqa: F811
    hub = HubFactory.create(slug="zonnehof", name="Zonnehof")
    SiteFactory(hub=hub)
    now = hub.floor_to_slot(timezone.now())
    cars = [VehicleFactory(hub=hub, plate=f"WS-{n:03d}-E") for n in range(20)]
    current_plan(hub, start=now - timedelta(hours=3), slots=16, vehicles=cars, power_kw=2.0)
    current_plan(hub, start=now, slots=24, vehicles=cars)
    login(resident)
    page.goto(f"/energy/hub/{hub.slug}/")
    if lang == "nl":
        switch_language(page, "nl")
    page.wait_for_function("window.Chart && Object.keys(Chart.instances).length >= 3")
    assert page.get_by_role("heading", name=TEXT[lang]["cars"]).is_visible()
    panels = page.locator("#car-panels li")
    assert panels.count() == 20
    assert panels.nth(19).locator("svg").is_visible()
    assert page.locator("#car-panels .plate").nth(0).inner_text() == "WS-000-E"
    assert page.locator("canvas#chart-price").is_visible()
    assert TEXT[lang]["grid"] in page.locator("#grid-title").inner_text()
    assert no_horizontal_scroll(page)
    screenshot(f"dashboard-today-{lang}")
    assert serious_violations(page) == []  # axe-core, served by the project
    assert console_errors == []
