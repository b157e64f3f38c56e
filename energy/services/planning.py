"""Planning a hub: database in, solver, validator, plan and car bindings out.

``plan_hub_guarded`` is what the ``plan_hub`` task calls: it takes the hub's lock without
waiting (a second caller finds it held and leaves) and runs ``hub_plan``. The lock is a lease
that lapses soon after its holder dies (see ``energy.locks``); whoever takes it next therefore
knows that any run of the hub still ``running`` has lost its worker, and marks it failed before
planning; ``runs_fail_lost`` sweeps the runs of hubs nobody plans any more.

``hub_plan`` never replaces a valid plan with a worse one: a plan is switched in (in one
transaction, with its slots, assignments, flexibility offers and the bindings that are due;
see ``energy.services.plan_store``) only when the project's own validator finds no violation.
A crash or an invalid plan is recorded on its run, staff are alerted, and the hub keeps its
last valid plan.

Imports go one way: the tasks call this module, this module queues no task of its own (the
admins' mail is ``energy.alerts``, asking for a re-plan is ``energy.services.replan``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.env import env_int
from energy import locks
from energy.alerts import admins_alert
from energy.departures import boost_departure_slots, likely_departure_slots
from energy.dispatch import Plan, Scenario, baseline_plan, check_plan, parse_scenario, solve
from energy.dispatch.core import with_likely_departures
from energy.dispatch.ranking import band_excess, only_unkept_band
from energy.locks import replans_paused
from energy.models import ChargingSession, DispatchRun, PlanAssignment, RunStatus
from energy.problem import BuiltScenario, build_hub_scenario
from energy.services.plan_store import plan_bind_due, plan_store
from sharing.models import Hub

logger = logging.getLogger(__name__)

Solver = Callable[[Scenario, float], Plan]
SCHEDULED = "schedule"
WORKER_LOST = "worker lost: the run's lease lapsed before it finished; the hub kept its last plan"


@dataclass(frozen=True)
class Outcome:
    status: str  # "planned", "busy", "unchanged", "missing"
    run_id: int | None = None
    # the hub's event count the plan saw: more events since then ask for another plan
    seen: int = 0


def plan_hub_guarded(*, hub_id: int, trigger: str, solver: Solver | None = None) -> Outcome:
    hub = Hub.objects.filter(pk=hub_id, site__isnull=False).first()
    if hub is None:
        return Outcome("missing")
    locks.release_queue_slot(hub_id)  # events from now on queue the next solve
    seen = locks.event_count(hub_id)
    if (
        trigger != SCHEDULED
        and not trigger.startswith("manual")
        and seen <= locks.planned_count(hub_id)
    ):
        return Outcome("unchanged")
    with locks.hub_lock(hub_id) as acquired:
        if not acquired:
            return Outcome("busy")
        _fail_lost(hub_id=hub_id)
        run: DispatchRun = hub_plan(hub=hub, trigger=trigger, solver=_delayed(solver))
        locks.planned_record(hub_id, seen)
    return Outcome("planned", run.pk, seen)


def _fail_lost(*, hub_id: int, created_before: datetime | None = None) -> int:
    """Mark failed the hub's runs still ``running``. Only the holder of the hub's lock may call
    this: a live run's worker would hold that lock, so these runs lost theirs."""
    runs = DispatchRun.objects.filter(hub_id=hub_id, status=RunStatus.RUNNING)
    if created_before is not None:
        runs = runs.filter(created_at__lt=created_before)
    lost = runs.update(status=RunStatus.FAILED, error=WORKER_LOST, finished_at=timezone.now())
    if lost:
        logger.warning("hub %s: %s run(s) lost their worker and are marked failed", hub_id, lost)
    return lost


def runs_fail_lost(*, older_than_seconds: float) -> int:
    """Mark failed every run left ``running`` for longer than any live run can take, of hubs
    whose lock nobody holds; returns how many. The backstop for hubs that are not planned
    again soon (their next plan would mark them itself)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    hubs = set(
        DispatchRun.objects.filter(status=RunStatus.RUNNING, created_at__lt=cutoff).values_list(
            "hub_id", flat=True
        )
    )
    failed = 0
    for hub_id in sorted(hubs):
        with locks.hub_lock(hub_id) as acquired:
            if acquired:
                failed += _fail_lost(hub_id=hub_id, created_before=cutoff)
    return failed


def _delayed(solver: Solver | None) -> Solver | None:
    """``DISPATCH_TEST_DELAY_SECONDS`` (tests only, unset in production) holds every solve back
    that long after its run is recorded, so a test can kill a worker in the middle of one."""
    delay = env_int("DISPATCH_TEST_DELAY_SECONDS", 0, minimum=0)
    if not delay:
        return solver
    inner = solver or _default_solver

    def slow(scenario: Scenario, time_limit: float) -> Plan:
        time.sleep(delay)
        return inner(scenario, time_limit)

    return slow


def _default_solver(
    scenario: Scenario, time_limit: float, warm: dict[str, str] | None = None
) -> Plan:
    return solve(scenario, time_limit=time_limit, warm=warm)


def _warm_assignment(hub: Hub, built: BuiltScenario) -> dict[str, str] | None:
    """The current plan's car per booking, in the new scenario's ids (None: no plan yet)."""
    current = DispatchRun.objects.filter(hub=hub, is_current=True).only("pk").first()
    if current is None:
        return None
    booking_ids = {pk: key for key, pk in built.bookings.items()}
    vehicle_ids = {pk: key for key, pk in built.vehicles.items()}
    rows = PlanAssignment.objects.filter(
        run=current, booking_id__in=booking_ids, vehicle_id__isnull=False
    ).values_list("booking_id", "vehicle_id")
    return {booking_ids[b]: vehicle_ids[v] for b, v in rows if v in vehicle_ids}


def hub_plan(
    *,
    hub: Hub,
    trigger: str,
    now: datetime | None = None,
    slots: int | None = None,
    solver: Solver | None = None,
) -> DispatchRun:
    """Plan ``hub`` from the current slot on and switch its plan if the result is valid."""
    began = time.perf_counter()  # the time limit is a deadline for the whole plan
    now = now or timezone.now()
    start = hub.floor_to_slot(now)
    slots = slots or settings.DISPATCH_HORIZON_SLOTS
    built = build_hub_scenario(hub=hub, start=start, slots=slots, now=now)
    run = DispatchRun.objects.create(
        hub=hub,
        trigger=(trigger + ("; " + "; ".join(built.notes) if built.notes else ""))[:64],
        horizon_start=start,
        slot_minutes=hub.slot_minutes,
        slots=slots,
        scenario=built.document,
    )
    try:
        scenario = parse_scenario(built.document)
    except ValueError as exc:
        return _fail(run, RunStatus.FAILED, f"scenario rejected: {exc}")
    # owners leave early: each private car is also planned against its likely departure,
    # learned from the hub's history (not part of the stored scenario document)
    likely = likely_departure_slots(
        hub=hub,
        sessions=built.sessions,
        start=start,
        now=now,
        minutes=hub.slot_minutes,
        scenario=scenario,
    )
    # "charge now": a boosted car is wanted as soon as charging flat out gets it to its target
    boosted, reached = boost_departure_slots(scenario=scenario, sessions=built.sessions, now=now)
    if reached:  # its target is reached: the boost is over
        ChargingSession.objects.filter(pk__in=reached).update(boost_requested_at=None)
    scenario = with_likely_departures(scenario, {**likely, **boosted})
    try:
        # what is left of the deadline after loading (saving the plan is a few COPYs)
        left = float(settings.DISPATCH_TIME_LIMIT_SECONDS) - (time.perf_counter() - began)
        if solver is None:  # warm from the current plan (rolling horizon)
            warm = _warm_assignment(hub, built)
            plan = _default_solver(scenario, max(1.0, left), warm)
        else:
            plan = solver(scenario, max(1.0, left))
    except Exception as exc:  # the solver is third-party C++: any failure keeps the old plan
        logger.exception("dispatch solver crashed for hub %s", hub.slug)
        # The safe plan: charge as early as the grid allows, never discharge, no flexibility.
        fallback = baseline_plan(scenario, "uncontrolled")
        run.plan = fallback.to_json_dict()
        run.fallback_used = True
        return _fail(run, RunStatus.FAILED, f"solver crashed: {exc.__class__.__name__}: {exc}")
    run.solver_seconds = time.perf_counter() - began
    run.plan = plan.to_json_dict()
    summary = run.plan.get("summary") if isinstance(run.plan, dict) else None
    if built.notes and isinstance(summary, dict):
        # what building the scenario assumed (an overdue car, a booking planned without its
        # car, default prices): the trigger has room for only the first of them
        summary["notes"] = [f"scenario: {n}" for n in built.notes] + list(summary.get("notes", []))
    report = plan.report  # the solver's typed account (None from a solver that gives none)
    run.solver = (report.solver if report else "unknown solver")[:80]
    run.solver_status = (report.status if report else "")[:40]
    run.fallback_used = bool(report and report.fallback)
    bound = report.bound if report else None
    run.bound_eur = Decimal(repr(round(bound, 4))) if bound is not None else None
    run.gap = report.gap if report else None

    result = check_plan(scenario, plan)
    run.score_terms = result.terms.as_dict()
    run.score_eur = Decimal(repr(round(result.terms.score, 4)))
    if not result.valid and not only_unkept_band(result.violations):
        run.violations = result.violations[:200]
        return _fail(run, RunStatus.INVALID, f"{len(result.violations)} violations")
    if not result.valid:
        # The grid band (a capacity limit, an order) cannot be kept in some slots by any plan
        # the solver found (its LP paid a high price per kW outside it): the plan keeps the
        # band everywhere else and every promise, so it is switched in, and staff are told.
        run.violations = result.violations[:200]
        _tell_unkept_band(hub, run, scenario, plan)
    # The bindings below announce booking changes that this plan already reflects: without
    # the pause, each binding would queue one more solve of the same hub. The switch must be
    # the outermost transaction (durable): the caller releases the hub's lock after this
    # returns, and a plan not yet committed then could be overtaken by the next one.
    with replans_paused(), transaction.atomic(durable=True):
        Hub.objects.select_for_update().filter(pk=hub.pk).first()
        DispatchRun.objects.filter(hub=hub, is_current=True).update(is_current=False)
        run.status = RunStatus.SUCCEEDED
        run.is_current = True
        run.finished_at = timezone.now()
        run.save()
        plan_store(run, built, scenario, plan)
        plan_bind_due(hub, built, plan, now)
    return run


def _tell_unkept_band(hub: Hub, run: DispatchRun, scenario: Scenario, plan: Plan) -> None:
    slots = [int(t) for t in np.flatnonzero(band_excess(scenario, plan) > 1e-6)]
    start = run.horizon_start.astimezone(hub.tz)
    step = timedelta(minutes=run.slot_minutes)
    when = ", ".join(f"{start + t * step:%d %b %H:%M}" for t in slots[:12])
    more = f" and {len(slots) - 12} more" if len(slots) > 12 else ""
    run.error = f"grid band cannot be kept in {len(slots)} slot(s): {when}{more}"[:500]
    logger.warning("dispatch run for hub %s: %s", hub.slug, run.error)
    message = (
        f"The plan of hub {hub.name} cannot keep the grid band in {len(slots)} slot(s) "
        f"({when}{more}): the homes and the cars that must charge draw more than the limit "
        "allows there, or the fleet cannot draw a required minimum. The plan keeps the band "
        "everywhere else and every booking's promise; review the capacity limit or order."
    )
    subject = f"Grid band cannot be kept at hub {hub.name}"
    admins_alert(
        subject, message, what=f"the admins' mail about the unkept grid band of hub {hub.slug}"
    )


def _fail(run: DispatchRun, status: str, error: str) -> DispatchRun:
    run.status = status
    run.error = error
    run.finished_at = timezone.now()
    run.save()
    logger.error("dispatch run %s for hub %s: %s", run.pk, run.hub_id, error)
    admins_alert(
        f"Dispatch failed for hub {run.hub_id}",
        f"Run {run.pk}: {error}\nThe hub keeps its last valid plan.",
        what=f"the admins' mail about failed dispatch run {run.pk}",
    )
    return run
