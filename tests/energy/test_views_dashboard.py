"""The hub energy dashboard: what a resident sees of the hub's plan, today and tomorrow."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from energy.models import FlexOffer
from energy.selectors import hub_dashboard
from tests.factories import (
    BayFactory,
    ChargingSessionFactory,
    HubFactory,
    PrivateCarFactory,
    SiteFactory,
    VehicleFactory,
    current_plan,
)

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=AMS)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def planned(energy_hub, neighbour, frozen):
    """A plan from 10:00 for two hours: one shared car and Bob's own car, 3 kW each."""
    car = VehicleFactory(hub=energy_hub, plate="WS-001-E")
    session = ChargingSessionFactory(
        car=PrivateCarFactory(owner=neighbour, plate="BOB-42"), bay=BayFactory(hub=energy_hub)
    )
    return current_plan(energy_hub, start=NOW, slots=8, vehicles=[car], sessions=[session])


def url(hub, **query):
    base = reverse("energy:hub_dashboard", args=[hub.slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def series(response):
    html = response.content.decode()
    start = html.index('<script id="hub-series" type="application/json">') + len(
        '<script id="hub-series" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_login_required(client, energy_hub):
    response = client.get(url(energy_hub))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_unknown_hub_is_404(client, resident):
    client.force_login(resident)
    assert client.get("/energy/hub/nowhere/").status_code == 404


def test_hub_without_site_is_404(client, resident):
    client.force_login(resident)
    hub = HubFactory(slug="bare", name="Bare")
    assert client.get(url(hub)).status_code == 404


def test_no_plan_yet_shows_a_friendly_message(client, resident, energy_hub, frozen):
    client.force_login(resident)
    response = client.get(url(energy_hub))
    assert response.status_code == 200
    assert "No plan yet" in response.content.decode()
    assert b"hub-series" not in response.content
    assert b"chart.umd.min.js" not in response.content


def test_dashboard_headline_numbers(client, resident, energy_hub, planned):
    FlexOffer.objects.create(
        hub=energy_hub,
        start=NOW,
        up_kw=Decimal("2"),
        down_kw=Decimal("1"),
        up_eur_per_kw=Decimal("0.05"),
        down_eur_per_kw=Decimal("0.02"),
    )
    client.force_login(resident)
    response = client.get(url(energy_hub))
    assert response.status_code == 200
    html = response.content.decode()
    assert "20 kWh" in html  # 10 kW of solar for two hours
    assert "83%" in html  # 5 of the fleet's 6 kW come from the solar surplus
    assert "1 kW" in html and "of the 40 kW the connection allows" in html  # peak import
    assert "€ 0.12" in html  # 2 kW x 0.05 + 1 kW x 0.02
    assert "figures cover the plans from 10:00 on." in html


def test_dashboard_has_charts_data_and_a_table_fallback(client, resident, energy_hub, planned):
    client.force_login(resident)
    response = client.get(url(energy_hub))
    html = response.content.decode()
    for canvas in ("chart-power", "chart-flex", "chart-price"):
        assert f'id="{canvas}"' in html
    assert 'id="car-panels"' in html  # one small chart per shared car
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "js/dashboard.js" in html
    assert "cdn" not in html.lower()
    data = series(response)
    assert len(data["labels"]) == 96 * 2
    assert data["import_limit_kw"] == 40.0
    first = data["labels"].index("10:00")
    assert data["pv_kw"][first] == 10.0
    assert data["fleet_kw"][first] == 6.0
    assert data["grid_kw"][first] == 1.0
    assert data["flex_up_kw"][first] == 2.0
    assert data["pv_kw"][first - 1] is None  # before the plan: no numbers, not zeros
    # The table says the same, without JavaScript.
    assert "<details" in html
    assert '<th scope="row">10:00</th>' in html
    assert '<th scope="row">11:45</th>' in html


def test_residents_own_cars_are_only_in_the_sums(client, resident, energy_hub, planned):
    client.force_login(resident)
    response = client.get(url(energy_hub))
    data = series(response)
    assert list(data["soc_by_car"]) == ["WS-001-E"]
    assert "BOB-42" not in response.content.decode()
    assert "session" not in json.dumps(data["soc_by_car"])


def test_day_switch_works_without_htmx(client, resident, energy_hub, planned):
    client.force_login(resident)
    response = client.get(url(energy_hub, day="tomorrow"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "Wednesday 11 March 2026" in html
    assert "The current plan has no numbers for this day." in html


def test_day_switch_htmx_fragment(client, resident, energy_hub, planned):
    client.force_login(resident)
    response = client.get(url(energy_hub, day="today"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.strip().startswith('<div id="day-table" aria-live="polite">')
    assert "Tuesday 10 March 2026" in html
    assert "HX-Request" in response["Vary"]


def test_full_page_also_varies_on_hx_request(client, resident, energy_hub, planned):
    client.force_login(resident)
    assert "HX-Request" in client.get(url(energy_hub))["Vary"]


def test_queries_stay_flat_with_more_cars(
    client, resident, energy_hub, planned, django_assert_max_num_queries
):
    client.force_login(resident)
    with django_assert_max_num_queries(20) as few:
        client.get(url(energy_hub))
    cars = [VehicleFactory(hub=energy_hub) for _ in range(6)]
    current_plan(energy_hub, start=NOW, slots=8, vehicles=cars)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url(energy_hub))


@pytest.mark.parametrize(
    ("today", "slots"),
    [(date(2026, 3, 29), [92, 96]), (date(2026, 10, 25), [100, 96]), (date(2026, 3, 28), [96, 92])],
)
def test_clock_change_days(energy_hub, today, slots):
    board = hub_dashboard(hub=energy_hub, today=today)
    assert [d.slots for d in board.days] == slots
    assert len(board.starts) == sum(slots)
    assert board.starts[0].astimezone(AMS).hour == 0


def test_hub_index_redirects_to_the_only_hub(client, resident, energy_hub):
    client.force_login(resident)
    response = client.get(reverse("energy:hub_index"))
    assert response.status_code == 302
    assert response["Location"] == url(energy_hub)


def test_hub_index_lists_hubs(client, resident, energy_hub):
    SiteFactory(hub=HubFactory(slug="tweede", name="Tweede hof"))
    client.force_login(resident)
    html = client.get(reverse("energy:hub_index")).content.decode()
    assert "Zonnehof" in html and "Tweede hof" in html


def test_nav_links_to_the_energy_pages(client, resident, energy_hub):
    client.force_login(resident)
    html = client.get(reverse("energy:my_car")).content.decode()
    assert f'href="{reverse("energy:hub_index")}"' in html
    assert f'href="{reverse("energy:my_car")}"' in html
