"""Planning a hub from the database: plan switched only when valid, cars bound, offers built."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection

from energy.dispatch import Plan, Scenario, check_plan, parse_plan, parse_scenario, solve
from energy.locks import replans_paused
from energy.models import (
    ChargingSession,
    DispatchRun,
    FlexOffer,
    FlexPriceSlot,
    PlanAssignment,
    PlanSlot,
    PrivateCar,
    RunStatus,
)
from energy.services.planning import hub_plan, plan_hub_guarded
from energy.services.replan import replan_request
from energy.tasks import plan_hub
from sharing.models import Bay, BookingStatus
from sharing.services.bookings import booking_create
from tests.energy.conftest import make_hub

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 6, 10, 8, 3, tzinfo=AMS)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def _book(resident, hub, start, hours, km):
    return booking_create(
        resident=resident,
        hub=hub,
        start=start,
        end=start + timedelta(hours=hours),
        promised_range_km=km,
        now=NOW,
    )


def _flex_prices(start, slots):
    FlexPriceSlot.objects.bulk_create(
        FlexPriceSlot(
            start=start + timedelta(minutes=15 * i),
            up_eur_per_kw=Decimal("0.01"),
            down_eur_per_kw=Decimal("0.005"),
        )
        for i in range(slots)
    )


@pytest.mark.django_db
def test_a_valid_plan_becomes_current_with_slots_assignments_offers_and_due_bindings(
    frozen, hub, resident, admin_user, django_capture_on_commit_callbacks
):
    start = NOW.replace(minute=0)
    _flex_prices(start, 96)
    soon = _book(resident, hub, datetime(2026, 6, 10, 8, 30, tzinfo=AMS), 2, 120)
    later = _book(resident, hub, datetime(2026, 6, 10, 18, 0, tzinfo=AMS), 3, 200)
    car = PrivateCar.objects.create(
        owner=resident,
        plate="P-1",
        battery_kwh=Decimal("60"),
        max_charge_kw=Decimal("11"),
        max_discharge_kw=Decimal("11"),
        may_feed_back=True,
        floor_kwh=Decimal("10"),
    )
    ChargingSession.objects.create(
        car=car,
        bay=Bay.objects.get(hub=hub, label="B03"),
        plugged_in_at=NOW - timedelta(hours=1),
        initial_soc_kwh=Decimal("20"),
        departure_at=NOW + timedelta(hours=10),
        target_soc_kwh=Decimal("50"),
        allow_feed_back=True,
        feed_back_floor_kwh=Decimal("30"),
    )

    with django_capture_on_commit_callbacks(execute=True):
        run = hub_plan(hub=hub, trigger="test", slots=96)

    assert run.status == RunStatus.SUCCEEDED and run.is_current
    assert run.score_eur is not None and run.solver
    scenario = parse_scenario(run.scenario)
    plan = parse_plan(run.plan, scenario)
    assert check_plan(scenario, plan).valid
    assert PlanSlot.objects.filter(run=run).count() == 4 * 96  # 3 shared + 1 private, 96 slots each
    assert PlanAssignment.objects.filter(run=run, vehicle__isnull=False).count() == 2
    # Binding announces a change, so a follow-up plan may already have replaced the offers.
    current = DispatchRun.objects.get(hub=hub, is_current=True)
    assert FlexOffer.objects.filter(hub=hub, run=current).exists()
    assert not FlexOffer.objects.filter(hub=hub).exclude(run=current).exists()
    soon.refresh_from_db()
    later.refresh_from_db()
    # Due within the 30-minute lead: bound to the car the plan chose; the evening one stays open.
    chosen = PlanAssignment.objects.get(run=run, booking=soon).vehicle
    assert soon.status == BookingStatus.BOUND and soon.vehicle == chosen
    assert later.status == BookingStatus.CONFIRMED and later.vehicle is None
    assert any("bound" in m.subject.lower() or soon.vehicle.plate in m.body for m in mail.outbox)


def _crash(scenario: Scenario, time_limit: float) -> Plan:
    raise RuntimeError("solver exploded")


def _invalid(scenario: Scenario, time_limit: float) -> Plan:
    plan = solve(scenario, time_limit=time_limit)
    vehicle = scenario.vehicles[0]
    plan.power_kw[vehicle.id] = [vehicle.max_charge_kw * 3] * scenario.slots  # breaks rule 4
    return plan


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("solver", "status"), [(_crash, RunStatus.FAILED), (_invalid, RunStatus.INVALID)]
)
def test_a_failed_or_invalid_solve_keeps_the_last_valid_plan_and_alerts_staff(
    frozen, hub, settings, solver, status, django_capture_on_commit_callbacks
):
    settings.ADMINS = [("Ops", "ops@example.org")]
    good = hub_plan(hub=hub, trigger="first", slots=32)
    with django_capture_on_commit_callbacks(execute=True):
        bad = hub_plan(hub=hub, trigger="second", slots=32, solver=solver)
    good.refresh_from_db()
    assert bad.status == status and not bad.is_current and bad.error
    assert good.is_current
    assert DispatchRun.objects.filter(hub=hub, is_current=True).get() == good
    assert any("Dispatch failed" in m.subject for m in mail.outbox)
    if solver is _crash:
        # The safe fallback is stored for inspection, and it is itself valid.
        assert bad.fallback_used and bad.plan is not None
        scenario = parse_scenario(bad.scenario)
        fallback = Plan(
            scenario=scenario.name,
            assignments=bad.plan["assignments"],
            power_kw=bad.plan["power_kw"],
        )
        assert check_plan(scenario, fallback).valid
    else:
        assert bad.violations and "rule 4" in " ".join(bad.violations).lower()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_plan_hub_calls_for_one_hub_solve_once(settings):
    hub = make_hub(slug="concurrent")
    solves = []
    gate = threading.Event()

    def slow(scenario: Scenario, time_limit: float) -> Plan:
        solves.append(1)
        gate.wait(10)
        return solve(scenario, time_limit=time_limit)

    outcomes = []

    def call():
        try:
            outcomes.append(plan_hub_guarded(hub_id=hub.pk, trigger="schedule", solver=slow).status)
        finally:
            connection.close()

    first = threading.Thread(target=call)
    first.start()
    deadline = time.monotonic() + 20
    while not solves and time.monotonic() < deadline:
        time.sleep(0.05)
    second = threading.Thread(target=call)
    second.start()
    second.join(20)
    gate.set()
    first.join(60)
    assert sorted(outcomes) == ["busy", "planned"]
    assert len(solves) == 1
    assert DispatchRun.objects.filter(hub=hub).count() == 1


@pytest.mark.django_db
def test_a_burst_of_changes_queues_one_solve(hub, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(plan_hub, "apply_async", lambda *a, **k: queued.append((a, k)))
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(100):
            replan_request(hub_id=hub.pk, reason="booking created")
    assert len(queued) == 1
    assert queued[0][1]["countdown"] >= 1


@pytest.mark.django_db
def test_booking_changes_trigger_a_plan_in_eager_mode(
    frozen, hub, resident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = _book(resident, hub, datetime(2026, 6, 10, 14, 0, tzinfo=AMS), 2, 100)
    run = DispatchRun.objects.get(hub=hub, is_current=True)
    assignments = (run.plan or {})["assignments"]
    assert f"booking-{booking.pk}" in assignments
    assert assignments[f"booking-{booking.pk}"] is not None
    # Nothing changed since: a second event-less task call does not solve again.
    assert plan_hub(hub.pk, "booking created")["status"] == "unchanged"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "slots"), [(datetime(2026, 3, 29), 92), (datetime(2026, 10, 25), 100)]
)
def test_clock_change_days_end_to_end(
    hub, resident, day, slots, django_capture_on_commit_callbacks
):
    midnight = day.replace(tzinfo=AMS)
    noon = day.replace(hour=12, tzinfo=AMS)
    with time_machine.travel(midnight - timedelta(days=1), tick=False):
        booking = booking_create(
            resident=resident,
            hub=hub,
            start=noon,
            end=noon + timedelta(hours=2),
            promised_range_km=150,
            now=midnight - timedelta(days=1),
        )
    with time_machine.travel(midnight, tick=False):
        run = hub_plan(hub=hub, trigger="clock change", slots=slots)
    assert run.status == RunStatus.SUCCEEDED
    assert (midnight.astimezone(UTC) + timedelta(minutes=15 * slots)).astimezone(AMS).hour == 0
    entry = next(b for b in run.scenario["bookings"] if b["id"] == f"booking-{booking.pk}")
    hours_before_noon = 11 if slots == 92 else 13  # local noon after a 23- or 25-hour night
    assert entry["start_slot"] == hours_before_noon * 4
    starts = list(
        PlanSlot.objects.filter(run=run, vehicle__isnull=False)
        .values_list("start", flat=True)
        .order_by("start")
        .distinct()
    )
    assert len(starts) == slots


@pytest.mark.django_db(transaction=True)
def test_the_bindings_a_plan_makes_do_not_queue_another_solve(frozen, resident, monkeypatch):
    hub = make_hub(slug="nobounce")
    with replans_paused():  # so that hub_plan below, not an earlier solve, binds the car
        soon = _book(resident, hub, datetime(2026, 6, 10, 8, 30, tzinfo=AMS), 2, 120)
    assert soon.status == BookingStatus.CONFIRMED
    queued = []
    monkeypatch.setattr(plan_hub, "apply_async", lambda *a, **k: queued.append(a))
    monkeypatch.setattr(plan_hub, "apply", lambda *a, **k: queued.append(a))
    run = hub_plan(hub=hub, trigger="test", slots=32)
    soon.refresh_from_db()
    assert run.is_current and soon.status == BookingStatus.BOUND
    assert queued == []


@pytest.mark.django_db(transaction=True)
def test_the_pause_holds_when_an_outer_transaction_commits_after_it(frozen, resident, monkeypatch):
    """A booking made under the pause is announced when the outer transaction commits, after the
    pause has ended: it still asks for no solve."""
    from django.db import transaction

    hub = make_hub(slug="outer")
    queued = []
    monkeypatch.setattr(plan_hub, "apply_async", lambda *a, **k: queued.append(a))
    monkeypatch.setattr(plan_hub, "apply", lambda *a, **k: queued.append(a))
    with transaction.atomic(), replans_paused():
        _book(resident, hub, datetime(2026, 6, 10, 8, 30, tzinfo=AMS), 2, 120)
    assert queued == []
    _book(resident, hub, datetime(2026, 6, 11, 8, 30, tzinfo=AMS), 2, 120)  # not paused
    assert len(queued) == 1


def test_a_plan_from_the_safe_fallback_is_recorded_as_a_fallback(hub, monkeypatch):
    """The run says so when every optimising stage failed and the safe plan was kept."""
    from energy.dispatch import solver as solver_module

    def broken(*args, **kwargs):
        raise RuntimeError("LP failed")

    monkeypatch.setattr(solver_module, "plan_for", broken)
    run = hub_plan(hub=hub, trigger="test", slots=32)
    assert run.status == RunStatus.SUCCEEDED
    assert run.fallback_used is True
    assert run.plan is not None
    assert run.plan["summary"]["stage"] == "safe"
    assert run.bound_eur is None  # the bound is never part of a resident-facing plan


def test_a_grid_band_no_plan_can_keep_is_planned_and_staff_are_told(
    db, settings, django_capture_on_commit_callbacks
):
    """An order for more export than the fleet can give (import limit -100 kW: at least 100 kW
    out, three 11-kW cars): no plan keeps it, so the best plan (every car feeds back what it
    can) is switched in, the run names the slots and admins get a mail."""
    from energy.models import Site

    settings.ADMINS = [("Fleet", "fleet@example.org")]
    hub = make_hub(slug="tight")
    Site.objects.filter(hub=hub).update(
        grid_import_limit_kw=Decimal("-100"), grid_export_limit_kw=Decimal("250")
    )
    night = datetime(2026, 6, 10, 1, 0, tzinfo=AMS)
    with time_machine.travel(night, tick=False), django_capture_on_commit_callbacks(execute=True):
        run = hub_plan(hub=hub, trigger="test", slots=8)
    assert run.status == RunStatus.SUCCEEDED and run.is_current
    assert run.error.startswith("grid band cannot be kept in 8 slot(s): 10 Jun 01:00")
    assert run.violations and all(v.startswith(("rule 7", "rule 8/7")) for v in run.violations)
    scenario = parse_scenario(run.scenario)
    plan = parse_plan(run.plan, scenario)
    # the best it can do: every car feeds back all it has above its minimum
    for v in scenario.vehicles:
        fed_kwh = -sum(min(0.0, p) for p in plan.power_kw[v.id]) * 0.25 / v.discharge_efficiency
        assert fed_kwh == pytest.approx(v.initial_soc_kwh - v.min_soc_kwh, abs=0.5)
    assert any("Grid band cannot be kept" in m.subject for m in mail.outbox)


def test_a_replan_starts_warm_from_the_current_plan(hub, resident, frozen):
    """Rolling horizon: the next plan starts from the current plan's cars; a new booking is
    the only one the local search moves."""
    first_trip = _book(resident, hub, datetime(2026, 6, 10, 14, 0, tzinfo=AMS), 2, 120)
    cold = hub_plan(hub=hub, trigger="test", slots=96)
    assert cold.status == RunStatus.SUCCEEDED and cold.plan is not None
    assert not any(n.startswith("warm start") for n in cold.plan["summary"]["notes"])
    _book(resident, hub, datetime(2026, 6, 10, 18, 0, tzinfo=AMS), 2, 80)
    warm = hub_plan(hub=hub, trigger="test", slots=96)
    assert warm.status == RunStatus.SUCCEEDED and warm.plan is not None
    notes = warm.plan["summary"]["notes"]
    assert "warm start: 1 of 2 booking(s) kept the previous plan's car" in notes
    kept = PlanAssignment.objects.get(run=warm, booking=first_trip).vehicle
    assert kept == PlanAssignment.objects.get(run=cold, booking=first_trip).vehicle
