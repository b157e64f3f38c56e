"""The energy pages in a real browser, at phone size."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import django
import pytest
from django.utils import timezone

from energy.models import ChargingSession, PrivateCar
from tests.browser.conftest import open_menu
from tests.factories import (
    BayFactory,
    ChargingSessionFactory,
    HubFactory,
    PrivateCarFactory,
    SiteFactory,
    VehicleFactory,
    current_plan,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DJANGO_NL = Path(django.__file__ or "").parent / "contrib/admin/locale/nl/LC_MESSAGES"


@pytest.fixture
def energy_hub(transactional_db):
    hub = HubFactory(slug="zonnehof", name="Zonnehof")
    SiteFactory(hub=hub)
    return hub


def test_dashboard_draws_its_charts_and_has_a_table(page, login, screenshot, resident, energy_hub):
    start = energy_hub.floor_to_slot(timezone.now())
    cars = [VehicleFactory(hub=energy_hub, plate=f"WS-00{n}-E") for n in range(1, 4)]
    session = ChargingSessionFactory(bay=BayFactory(hub=energy_hub))
    current_plan(energy_hub, start=start, slots=24, vehicles=cars, sessions=[session])
    login(resident)
    page.goto(f"/energy/hub/{energy_hub.slug}/")
    page.wait_for_function("window.Chart && Object.keys(Chart.instances).length >= 3")
    assert page.evaluate("Object.keys(Chart.instances).length") == 3
    assert page.locator("canvas#chart-power").is_visible()
    assert page.locator("ul.headline").first.locator("li").count() == 5  # today at a glance
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("dashboard-phone")
    page.get_by_text("The numbers as a table").click()
    table = page.locator("#day-table table")
    assert table.is_visible()
    local = timezone.localtime(start).strftime("%H:%M")
    assert table.get_by_role("rowheader", name=local).is_visible()
    today_caption = page.locator("#day-table caption").inner_text()
    page.get_by_role("link", name="Tomorrow").click()
    # htmx swaps the table in place: a new caption, no navigation.
    page.wait_for_function(
        "caption => document.querySelector('#day-table caption').innerText !== caption",
        arg=today_caption,
    )
    assert page.url.endswith(f"/energy/hub/{energy_hub.slug}/")
    screenshot("dashboard-table-phone")


def test_dashboard_without_plan(page, login, resident, energy_hub):
    login(resident)
    page.goto(f"/energy/hub/{energy_hub.slug}/")
    assert page.get_by_role("heading", name="No plan yet").is_visible()


def tab_to(page, element_id: str, limit: int = 40) -> None:
    """Press Tab until the element has focus, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} never got the focus by keyboard")


def test_my_car_register_plug_in_change_departure(
    page, login, screenshot, resident, energy_hub, no_replan
):
    BayFactory(hub=energy_hub, label="P1")
    login(resident)
    page.goto("/energy/my-car/register/")

    # Keyboard only: Tab to each field, type, submit with Enter.
    tab_to(page, "id_plate")
    page.keyboard.type("ev-42-xy")
    page.keyboard.press("Tab")
    page.keyboard.type("64")
    page.keyboard.press("Tab")
    page.keyboard.type("11")
    page.keyboard.press("Tab")
    page.keyboard.type("7")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_floor_kwh"
    page.keyboard.type("80")  # above the battery: refused, and what was typed is kept
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("The floor cannot be above the battery").is_visible()
    assert page.locator("#id_plate").input_value() == "ev-42-xy"
    screenshot("my-car-register-error-phone")
    tab_to(page, "id_floor_kwh")
    page.keyboard.press("Control+A")
    page.keyboard.type("15")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/energy/my-car/")
    assert page.get_by_role("heading", name="EV-42-XY").is_visible()
    car = PrivateCar.objects.get(owner=resident)
    assert car.floor_kwh == 15

    page.get_by_role("link", name="Plug in").click()
    page.get_by_label("Bay").select_option(label="Zonnehof · P1")
    page.get_by_label("Charge now (kWh)").fill("20")
    departure = timezone.localtime() + timedelta(hours=10)
    page.locator("#id_departure_at").fill(departure.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Charge wanted at departure (kWh)").fill("50")
    screenshot("my-car-plug-in-phone")
    page.get_by_role("button", name="Plug in").click()
    page.wait_for_url("**/energy/my-car/session/*/")
    session = ChargingSession.objects.get(car=car)
    assert len(no_replan) == 1

    # The departure changes in place (htmx); an error comes back in place too.
    past = timezone.localtime() - timedelta(hours=1)
    page.locator("#id_departure_at").fill(past.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save and re-plan").click()
    page.get_by_text("The departure must be in the future.").wait_for()
    later = (timezone.localtime() + timedelta(hours=14)).replace(second=0, microsecond=0)
    page.locator("#id_departure_at").fill(later.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save and re-plan").click()
    page.get_by_text("Saved. The plan is being updated.").wait_for()
    session.refresh_from_db()
    assert timezone.localtime(session.departure_at) == later
    assert len(no_replan) == 2
    screenshot("my-car-session-phone")

    page.get_by_role("button", name="Unplug").click()
    page.wait_for_url("**/energy/my-car/")
    session.refresh_from_db()
    assert session.status == "ended"


def test_session_plan_chart(page, login, screenshot, resident, energy_hub):
    car = PrivateCarFactory(owner=resident, plate="AB-123-C")
    session = ChargingSessionFactory.create(car=car, bay=BayFactory(hub=energy_hub))
    current_plan(
        energy_hub, start=energy_hub.floor_to_slot(timezone.now()), slots=16, sessions=[session]
    )
    login(resident)
    page.goto(f"/energy/my-car/session/{session.pk}/")
    page.wait_for_function("window.Chart && Object.keys(Chart.instances).length === 1")
    screenshot("my-car-plan-phone")


def test_switching_to_dutch(page, login, resident):
    login(resident)
    page.goto("/energy/my-car/")
    open_menu(page)
    page.get_by_label("Language").select_option("nl")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_function("document.documentElement.lang === 'nl'")
    assert page.locator("html").get_attribute("lang") == "nl"
    if not DJANGO_NL.exists():
        pytest.skip("no Dutch catalogue for Django's admin strings")
    # "Log out" comes from Django's own Dutch catalogue until the project's catalogue exists.
    open_menu(page)
    assert page.get_by_role("button", name="Afmelden").is_visible()
