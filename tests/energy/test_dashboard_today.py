"""The hub dashboard's today: the past of the day from stored plans and meter values, one
small chart per car, tiles that say what they mean, price and CO2, and the grid's orders."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from energy.grid.models import (
    Aggregator,
    ChargerIspPower,
    GridOffer,
    GridOrder,
    GridOrderSlot,
    SiteIspPower,
)
from energy.models import (
    CarbonIntensityHour,
    ChargeLevelReading,
    Charger,
    FlexOffer,
    OfferStatus,
    PriceSlot,
)
from energy.selectors import dashboard_panels as dashboard
from energy.selectors import hub_dashboard
from tests.factories import BayFactory, VehicleFactory, current_plan

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=AMS)
EARLY = datetime(2026, 3, 10, 6, 0, tzinfo=AMS)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def car(energy_hub):
    return VehicleFactory(hub=energy_hub, plate="WS-001-E", home_bay=BayFactory(hub=energy_hub))


@pytest.fixture
def day_of_plans(energy_hub, car):
    """The 06:00 plan (16 slots, 2 kW a car, 4 kW sun), replaced by the 10:00 plan (3 kW)."""
    current_plan(energy_hub, start=EARLY, slots=16, vehicles=[car], power_kw=2.0, pv_kw=4.0)
    return current_plan(energy_hub, start=NOW, slots=8, vehicles=[car])


def _i(board, moment):
    return board.starts.index(moment.astimezone(UTC))


def test_the_past_of_today_comes_from_the_plans_of_the_time(energy_hub, day_of_plans):
    board = hub_dashboard(hub=energy_hub)
    assert board.pv_kw[_i(board, EARLY)] == 4.0  # the 06:00 plan
    assert board.fleet_kw[_i(board, EARLY + timedelta(hours=3))] == 2.0
    assert board.pv_kw[_i(board, NOW)] == 10.0  # the current plan from 10:00
    assert board.pv_kw[_i(board, EARLY - timedelta(minutes=15))] is None  # no plan: no number
    assert board.days[0].covered_from == EARLY.astimezone(UTC)
    # the car's charge before 10:00 is the old plan's too
    assert board.soc_by_car["WS-001-E"][_i(board, EARLY)] == 20.0


def test_measured_fleet_power_and_readings_stand_beside_the_plan(energy_hub, car, day_of_plans):
    charger = Charger.objects.create(bay=car.home_bay, ocpp_id="ZH-1", ac_charge_kw=11)
    seven = datetime(2026, 3, 10, 7, 0, tzinfo=AMS)
    ChargerIspPower.objects.create(
        charger=charger, hub=energy_hub, start=seven, power_sum_kw=5.0, samples=2
    )
    ChargeLevelReading.objects.create(
        vehicle=car, soc_kwh=Decimal("31"), measured_at=seven + timedelta(minutes=5), source="car"
    )
    board = hub_dashboard(hub=energy_hub)
    assert board.measured_fleet_kw[_i(board, seven)] == 2.5  # the mean of the ISP's readings
    assert board.measured_fleet_kw[_i(board, EARLY)] is None  # nothing metered then
    (panel,) = board.panels
    assert panel.plate == "WS-001-E" and len(panel.measured) == 1
    assert panel.last_kwh == 31.0


def test_twenty_cars_get_a_small_chart_each(client, resident, energy_hub):
    cars = [VehicleFactory(hub=energy_hub, plate=f"WS-{n:03d}-E") for n in range(20)]
    current_plan(energy_hub, start=NOW, slots=8, vehicles=cars)
    client.force_login(resident)
    html = client.get(reverse("energy:hub_dashboard", args=[energy_hub.slug])).content.decode()
    assert html.count('<span class="plate">') == 20
    for n in range(20):
        assert f"Charge of WS-{n:03d}-E today" in html  # each chart is named by its plate
    assert 'id="chart-soc"' not in html  # no more 20 lines in 8 colours


def test_tiles_say_what_an_empty_figure_means(client, resident, energy_hub):
    current_plan(energy_hub, start=NOW, slots=8, pv_kw=0.0)
    client.force_login(resident)
    html = client.get(reverse("energy:hub_dashboard", args=[energy_hub.slug])).content.decode()
    assert "solar today: none expected" in html
    assert "the fleet is not planned to charge today" in html
    assert "no bookings start today" in html
    assert "nothing offered to the grid yet" in html
    assert "No charger readings yet today" in html
    tiles = html[html.index('aria-label="Today at a glance"') :]
    tiles = tiles[: tiles.index("</ul>")]
    assert "0 / 0" not in tiles and "\u2013" not in tiles  # no bare en dash


def test_price_curve_and_carbon_demo_shape(client, resident, energy_hub, day_of_plans):
    PriceSlot.objects.create(area="NL", start=NOW, day_ahead_eur_per_kwh=Decimal("0.123"))
    board = hub_dashboard(hub=energy_hub)
    assert board.price_eur_per_kwh[_i(board, NOW)] == 0.123
    assert board.price_eur_per_kwh[_i(board, EARLY)] is None
    assert board.carbon.source == "demo"
    hour = NOW.astimezone(UTC).hour
    assert board.carbon.values[_i(board, NOW)] == dashboard.DEMO_CARBON_SHAPE[hour]
    client.force_login(resident)
    html = client.get(reverse("energy:hub_dashboard", args=[energy_hub.slug])).content.decode()
    assert "shown is a demo shape, not a measurement" in html


def test_carbon_of_the_day_or_the_same_weekday_of_the_newest_data(energy_hub, day_of_plans):
    old = datetime(2024, 3, 12, 9, 0, tzinfo=UTC)  # a Tuesday, as 10 March 2026 is
    CarbonIntensityHour.objects.create(start=old, direct_g_per_kwh=Decimal("150"))
    board = hub_dashboard(hub=energy_hub)
    assert board.carbon.source == "same weekday"
    assert board.carbon.from_day.weekday() == date(2026, 3, 10).weekday()
    assert board.carbon.values[_i(board, NOW)] == 150.0  # 10:00 Amsterdam = 09:00 UTC
    CarbonIntensityHour.objects.create(start=NOW, direct_g_per_kwh=Decimal("99"))
    board = hub_dashboard(hub=energy_hub)
    assert board.carbon.source == "measured"
    assert board.carbon.values[_i(board, NOW) + 3] == 99.0


def test_what_the_batteries_did_for_the_grid(client, resident, energy_hub, day_of_plans):
    FlexOffer.objects.create(
        hub=energy_hub,
        start=NOW,
        up_kw=Decimal("2"),
        down_kw=Decimal("1"),
        up_eur_per_kw=Decimal("0.05"),
        down_eur_per_kw=Decimal("0.02"),
        status=OfferStatus.OFFERED,
    )
    offer = GridOffer.objects.create(
        hub=energy_hub,
        aggregator=Aggregator.objects.create(name="Flex BV"),
        message_id=uuid.uuid4(),
        conversation_id=uuid.uuid4(),
        period=NOW.date(),
        congestion_point="ean.1",
        direction="up",
        option_reference="o1",
        price_eur=Decimal("4.50"),
        expires_at=NOW + timedelta(hours=1),
    )
    order = GridOrder.objects.create(
        offer=offer, message_id=uuid.uuid4(), source="api", price_eur=Decimal("4.50")
    )
    for isp in range(4):
        GridOrderSlot.objects.create(
            order=order,
            hub=energy_hub,
            isp=41 + isp,
            start=NOW + timedelta(minutes=15 * isp),
            power_w=-8000,
            baseline_w=20000,
        )
    g = hub_dashboard(hub=energy_hub).grid_service
    assert g.held_kwh == pytest.approx(0.75) and g.held_eur == Decimal("0.12")
    assert g.ordered_kwh == pytest.approx(8.0) and g.orders == 1
    assert g.ordered_eur == Decimal("4.50")
    client.force_login(resident)
    html = client.get(reverse("energy:hub_dashboard", args=[energy_hub.slug])).content.decode()
    assert "activated by 1 order, € 4.50" in html


CSV_2023 = (
    "Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct),"
    "Carbon Intensity gCO₂eq/kWh (LCA),Low Carbon Percentage,Renewable Percentage,"
    "Data Source,Data Estimated,Data Estimation Method\n"
    "2023-01-01 00:00:00,Netherlands,Netherlands,NL,157.62,205.1,70.08,65.17,EM,true,X\n"
    "2023-01-01 01:00:00,Netherlands,Netherlands,NL,158.0,205.45,69.23,64.33,EM,true,X\n"
)


def test_import_carbon_loads_the_csv_once_and_skips_what_is_absent(db, tmp_path: Path):
    (tmp_path / "NL_2023_hourly.csv").write_text(CSV_2023, encoding="utf-8")
    out = StringIO()
    call_command("import_carbon", str(tmp_path), stdout=out)
    call_command("import_carbon", str(tmp_path), stdout=out)  # twice: nothing doubles
    rows = list(CarbonIntensityHour.objects.order_by("start"))
    assert [(r.start, r.direct_g_per_kwh) for r in rows] == [
        (datetime(2023, 1, 1, 0, tzinfo=UTC), Decimal("157.62")),
        (datetime(2023, 1, 1, 1, tzinfo=UTC), Decimal("158.00")),
    ]
    assert rows[0].lifecycle_g_per_kwh == Decimal("205.10")
    out = StringIO()
    call_command("import_carbon", str(tmp_path / "nowhere"), stdout=out)
    assert "not found, skipped" in out.getvalue()


def test_import_carbon_reads_both_shared_files_in_place(db):
    from energy.management.commands.import_carbon import DEFAULT_DIR

    if not DEFAULT_DIR.is_dir():
        pytest.skip(f"needs the shared data set at {DEFAULT_DIR}")
    out = StringIO()
    call_command("import_carbon", stdout=out)
    assert "NL_2023_hourly.csv: 8760 hours" in out.getvalue()
    assert "NL_2024_hourly.csv: 8784 hours" in out.getvalue()
    first = CarbonIntensityHour.objects.get(start=datetime(2024, 1, 1, tzinfo=UTC))
    assert first.direct_g_per_kwh == Decimal("85.65")


def test_when_the_hub_helped_the_grid_is_measured_like_the_settlement(
    client, resident, energy_hub, car, day_of_plans
):
    """06:00-07:00: 8 kW less import ordered; the site meter measured 06:00 (all of it), the
    chargers 06:15 (2 kW of it), nothing measured 06:30 and 06:45."""
    offer = GridOffer.objects.create(
        hub=energy_hub,
        aggregator=Aggregator.objects.create(name="Flex BV"),
        message_id=uuid.uuid4(),
        conversation_id=uuid.uuid4(),
        period=EARLY.date(),
        congestion_point="ean.1",
        direction="up",
        option_reference="o1",
        price_eur=Decimal("4.50"),
        expires_at=EARLY,
    )
    order = GridOrder.objects.create(
        offer=offer, message_id=uuid.uuid4(), source="api", price_eur=Decimal("4.50")
    )
    starts = [EARLY + timedelta(minutes=15 * k) for k in range(4)]
    for k, start in enumerate(starts):
        GridOrderSlot.objects.create(
            order=order, hub=energy_hub, isp=25 + k, start=start, power_w=-8000, baseline_w=20000
        )
    SiteIspPower.objects.create(hub=energy_hub, start=starts[0], power_sum_kw=24.0, samples=2)
    charger = Charger.objects.create(bay=car.home_bay, ocpp_id="CP-9", ac_charge_kw=11)
    ChargerIspPower.objects.create(
        charger=charger, hub=energy_hub, start=starts[1], power_sum_kw=-2.0, samples=1
    )
    g = hub_dashboard(hub=energy_hub).grid_service
    assert [(h.delivered_kw, h.measured_by) for h in g.helped] == [
        (8.0, "site meter"),
        (2.0, "chargers"),
        (None, ""),
        (None, ""),
    ]
    assert g.earned_eur == Decimal("1.41")  # 10 of the 32 kW·ISP ordered, of EUR 4.50
    assert g.ordered_eur == Decimal("4.50") and g.measured_by == "site meter, chargers"
    client.force_login(resident)
    html = client.get(reverse("energy:hub_dashboard", args=[energy_hub.slug])).content.decode()
    assert "Earned so far, as delivered: € 1.41 (measured by: site meter, chargers)." in html
    assert "8.0 kW less from the grid" in html and "not measured yet" in html
