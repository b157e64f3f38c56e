"""The likely departure of residents' own cars, learned from the hub's history, reaches the plan."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from energy.departures import likely_departure_slots, stay_shares
from energy.dispatch import Plan, Scenario, solve
from energy.dispatch.core import LIKELY_STAY_SHARE
from energy.models import ChargingSession, PrivateCar, RunStatus, SessionStatus
from energy.services.planning import hub_plan
from sharing.models import Bay
from tests.energy.conftest import make_hub
from tests.factories import UserFactory

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 6, 10, 8, 0, tzinfo=AMS)


def _car(plate: str) -> PrivateCar:
    return PrivateCar.objects.create(
        owner=UserFactory.create(),
        plate=plate,
        battery_kwh=Decimal("60"),
        max_charge_kw=Decimal("11"),
        max_discharge_kw=Decimal("0"),
        floor_kwh=Decimal("0"),
    )


def _ended(car: PrivateCar, bay: Bay, days_ago: int, share: float) -> None:
    plugged = NOW - timedelta(days=days_ago, hours=12)
    declared = plugged + timedelta(hours=10)
    ChargingSession.objects.create(
        car=car,
        bay=bay,
        plugged_in_at=plugged,
        initial_soc_kwh=Decimal("20"),
        departure_at=declared,
        target_soc_kwh=Decimal("50"),
        status=SessionStatus.ENDED,
        ended_at=plugged + share * (declared - plugged),
    )


def _active(car: PrivateCar, bay: Bay) -> ChargingSession:
    return ChargingSession.objects.create(
        car=car,
        bay=bay,
        plugged_in_at=NOW - timedelta(hours=2),
        initial_soc_kwh=Decimal("20"),
        departure_at=NOW + timedelta(hours=8),  # a declared stay of 10 h
        target_soc_kwh=Decimal("50"),
    )


@pytest.mark.django_db
def test_without_history_the_default_share_is_used() -> None:
    hub = make_hub()
    session = _active(_car("P-1"), Bay.objects.get(hub=hub, label="B03"))
    assert stay_shares(hub=hub, now=NOW) == (LIKELY_STAY_SHARE, {})
    slots = likely_departure_slots(
        hub=hub, sessions={"s": session.pk}, start=NOW, now=NOW, minutes=15
    )
    # plugged 2 h ago, 10 h declared: likely at plug-in + 5 h = now + 3 h = slot 12
    assert slots == {"s": 12}


@pytest.mark.django_db
def test_the_hub_history_gives_the_share_95_percent_of_stays_reach() -> None:
    hub = make_hub()
    bay = Bay.objects.get(hub=hub, label="B03")
    for i in range(18):
        _ended(_car(f"H-{i}"), bay, days_ago=i + 1, share=0.9)
    for i in range(4):
        _ended(_car(f"E-{i}"), bay, days_ago=i + 1, share=0.3)
    # 22 stays, 4 of them at 30 %: the 5 % quantile is 0.3
    share, per_car = stay_shares(hub=hub, now=NOW)
    assert share == pytest.approx(0.3, abs=1e-6) and per_car == {}
    # too old to count: the same history 100 days ago leaves the default
    ChargingSession.objects.update(ended_at=NOW - timedelta(days=100))
    assert stay_shares(hub=hub, now=NOW)[0] == LIKELY_STAY_SHARE


@pytest.mark.django_db
def test_a_car_with_its_own_history_gets_its_own_share() -> None:
    hub = make_hub()
    bay = Bay.objects.get(hub=hub, label="B03")
    faithful = _car("F-1")
    for i in range(12):
        _ended(faithful, bay, days_ago=i + 1, share=1.0)
    for i in range(20):
        _ended(_car(f"X-{i}"), bay, days_ago=i + 1, share=0.6)
    share, per_car = stay_shares(hub=hub, now=NOW)
    assert share == pytest.approx(0.6, abs=1e-6)
    assert per_car == {faithful.pk: pytest.approx(1.0)}
    session = _active(faithful, bay)
    slots = likely_departure_slots(
        hub=hub, sessions={"f": session.pk}, start=NOW, now=NOW, minutes=15
    )
    assert slots == {"f": 32}  # its whole declared stay: now + 8 h


@pytest.mark.django_db
def test_a_car_still_here_after_its_likely_departure_gets_a_new_one() -> None:
    hub = make_hub()
    session = _active(_car("P-1"), Bay.objects.get(hub=hub, label="B03"))
    later = NOW + timedelta(hours=6)  # past plug-in + 5 h; 2 h of the declared stay left
    slots = likely_departure_slots(
        hub=hub, sessions={"s": session.pk}, start=later, now=later, minutes=15
    )
    assert slots == {"s": 4}  # (no scenario given) now + half of the 2 h left


@pytest.mark.django_db
def test_an_overdue_car_is_wanted_as_soon_as_charging_flat_out_gets_it_there() -> None:
    """Past its likely departure the owner may come any moment: the car is planned to reach
    its target by the first slot flat-out charging can, not by a new likely departure."""
    from energy.dispatch.scenario import Vehicle

    hub = make_hub()
    session = _active(_car("P-1"), Bay.objects.get(hub=hub, label="B03"))
    later = NOW + timedelta(hours=6)
    vehicle = Vehicle(
        id="s",
        kind="private",
        battery_kwh=60.0,
        initial_soc_kwh=20.0,
        min_soc_kwh=0.0,
        max_charge_kw=11.0,
        max_discharge_kw=0.0,
        charge_efficiency=1.0,
        discharge_efficiency=1.0,
        consumption_kwh_per_km=0.18,
        plugged_in_from_slot=0,
        unavailable=(),
        departure_slot=8,
        departure_soc_kwh=50.0,
    )
    scn = type("S", (), {"vehicles": (vehicle,)})()
    slots = likely_departure_slots(
        hub=hub, sessions={"s": session.pk}, start=later, now=later, minutes=15, scenario=scn
    )
    # 30 kWh missing (no meter values yet: the charge is taken as at plug-in), 2.75 kWh a slot
    assert slots == {"s": 11}


@pytest.mark.django_db
def test_hub_plan_plans_private_cars_against_their_likely_departure() -> None:
    hub = make_hub()
    _active(_car("P-1"), Bay.objects.get(hub=hub, label="B03"))
    seen: list[Scenario] = []

    def spy(scenario: Scenario, time_limit: float) -> Plan:
        seen.append(scenario)
        return solve(scenario, time_limit=time_limit)

    with time_machine.travel(NOW, tick=False):
        run = hub_plan(hub=hub, trigger="test", slots=96, solver=spy)
    assert run.status == RunStatus.SUCCEEDED
    private = [v for v in seen[0].vehicles if v.is_private]
    assert [v.likely_departure_slot for v in private] == [12]
    # the stored scenario document stays the exchange format: no such key
    assert all("likely_departure_slot" not in v for v in run.scenario["vehicles"])


@pytest.mark.django_db
def test_a_plugged_in_car_enters_the_plan_with_what_it_holds_now() -> None:
    """The scenario starts a resident's car from its metered charge since plug-in, not from
    the charge it had when it was plugged in (it would be charged twice)."""
    from energy.grid.models import ChargerIspPower
    from energy.models import Charger
    from energy.problem import build_hub_scenario

    hub = make_hub()
    bay = Bay.objects.get(hub=hub, label="B03")
    session = _active(_car("P-1"), bay)  # plugged in 2 h ago with 20 kWh
    charger = Charger.objects.get(bay=bay)
    for q in range(8):  # 10 kW metered in each quarter hour since
        ChargerIspPower.objects.create(
            charger=charger,
            hub=hub,
            start=NOW - timedelta(hours=2) + q * timedelta(minutes=15),
            power_sum_kw=10.0,
            samples=1,
        )
    built = build_hub_scenario(hub=hub, start=NOW, slots=16, now=NOW)
    car = next(v for v in built.document["vehicles"] if v["id"] == f"session-{session.pk}")
    assert car["initial_soc_kwh"] == pytest.approx(20.0 + 10.0 * 2 * 0.92, abs=0.01)
