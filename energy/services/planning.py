"""Planning a hub: database in, solver, validator, plan and car bindings out.

``hub_plan`` is what the ``plan_hub`` task calls. It never replaces a valid plan with a worse
one: a plan is switched in (in one transaction, with its slots, assignments, flexibility offers
and the bindings that are due) only when the project's own validator finds no violation.
A crash or an invalid plan is recorded on its run, staff are alerted, and the hub keeps its
last valid plan.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from config.outage import on_commit_despite_redis
from energy.departures import boost_departure_slots, likely_departure_slots
from energy.dispatch import Plan, Scenario, baseline_plan, check_plan, parse_scenario, solve
from energy.dispatch.core import with_likely_departures
from energy.dispatch.ranking import band_excess, only_unkept_band
from energy.models import (
    ChargingSession,
    DispatchRun,
    FlexOffer,
    OfferStatus,
    PlanAssignment,
    PlanSlot,
    RunStatus,
)
from energy.scenario import BuiltScenario, build_hub_scenario, floor_to_slot
from sharing.models import Booking, BookingStatus, Hub, Vehicle
from sharing.services.binding import booking_bind_vehicle

logger = logging.getLogger(__name__)

Solver = Callable[[Scenario, float], Plan]
D3 = Decimal("0.001")


def _dec(value: float) -> Decimal:
    return Decimal(repr(round(value, 3))).quantize(D3)


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
    start = floor_to_slot(now, hub.slot_minutes)
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
        hub=hub, sessions=built.sessions, start=start, now=now, minutes=hub.slot_minutes
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
    from energy.services.replan import replans_paused  # replan imports this module

    # The bindings below announce booking changes that this plan already reflects: without
    # the pause, each binding would queue one more solve of the same hub.
    with replans_paused(), transaction.atomic():
        Hub.objects.select_for_update().filter(pk=hub.pk).first()
        DispatchRun.objects.filter(hub=hub, is_current=True).update(is_current=False)
        run.status = RunStatus.SUCCEEDED
        run.is_current = True
        run.finished_at = timezone.now()
        run.save()
        _store_plan(run, built, scenario, plan)
        _bind_due(hub, built, plan, now)
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
    from energy.tasks import mail_admins_retried  # the tasks import the services

    on_commit_despite_redis(
        lambda: mail_admins_retried.delay(subject, message),
        what=f"the admins' mail about the unkept grid band of hub {hub.slug}",
    )


def _fail(run: DispatchRun, status: str, error: str) -> DispatchRun:
    run.status = status
    run.error = error
    run.finished_at = timezone.now()
    run.save()
    logger.error("dispatch run %s for hub %s: %s", run.pk, run.hub_id, error)
    from energy.tasks import mail_admins_retried  # the tasks import the services

    # As a task with retries: mail_admins(fail_silently=True) dropped it on a mail hiccup.
    on_commit_despite_redis(
        lambda: mail_admins_retried.delay(
            f"Dispatch failed for hub {run.hub_id}",
            f"Run {run.pk}: {error}\nThe hub keeps its last valid plan.",
        ),
        what=f"the admins' mail about failed dispatch run {run.pk}",
    )
    return run


def soc_trajectory(
    scenario: Scenario, vehicle_id: str, power: list[float], trips: list[Any]
) -> list[float]:
    """Expected charge at the start of each slot, following the spec's battery model."""
    v = next(x for x in scenario.vehicles if x.id == vehicle_id)
    h = scenario.slot_minutes / 60
    returns = {b.end_slot: b.expected_km * v.consumption_kwh_per_km for b in trips}
    soc = v.initial_soc_kwh
    out: list[float] = []
    for t in range(scenario.slots):
        soc -= returns.get(t, 0.0)
        out.append(soc)
        p = power[t]
        soc += v.charge_efficiency * p * h if p >= 0 else p * h / v.discharge_efficiency
    return out


def _store_plan(run: DispatchRun, built: BuiltScenario, scenario: Scenario, plan: Plan) -> None:
    minutes = scenario.slot_minutes
    start = run.horizon_start
    trips: dict[str, list[Any]] = {}
    for booking in scenario.bookings:
        chosen = plan.assignments.get(booking.id)
        if chosen:
            trips.setdefault(chosen, []).append(booking)
    rows: list[tuple[Any, ...]] = []
    starts = [start + timedelta(minutes=t * minutes) for t in range(scenario.slots)]
    up_total = [0.0] * scenario.slots
    down_total = [0.0] * scenario.slots
    for vehicle in scenario.vehicles:
        power = plan.power_kw.get(vehicle.id, [0.0] * scenario.slots)
        up = (plan.flex_up_kw or {}).get(vehicle.id, [0.0] * scenario.slots)
        down = (plan.flex_down_kw or {}).get(vehicle.id, [0.0] * scenario.slots)
        socs = soc_trajectory(scenario, vehicle.id, power, trips.get(vehicle.id, []))
        for t in range(scenario.slots):
            up_total[t] += up[t]
            down_total[t] += down[t]
            rows.append(
                (
                    run.pk,
                    built.vehicles.get(vehicle.id),
                    built.sessions.get(vehicle.id),
                    starts[t],
                    _dec(power[t]),
                    _dec(socs[t]),
                    _dec(up[t]),
                    _dec(down[t]),
                )
            )
    _insert_plan_slots(rows)
    PlanAssignment.objects.bulk_create(
        [
            PlanAssignment(
                run=run,
                booking_id=built.bookings[booking_id],
                vehicle_id=built.vehicles.get(vehicle_id) if vehicle_id else None,
            )
            for booking_id, vehicle_id in plan.assignments.items()
            if booking_id in built.bookings
        ]
    )
    # Future draft offers are replaced by this plan's; offered or activated ones stand.
    FlexOffer.objects.filter(hub=run.hub, status=OfferStatus.DRAFT, start__gte=start).delete()
    flex = scenario.flexibility
    if flex is None:
        return
    FlexOffer.objects.bulk_create(
        [
            FlexOffer(
                hub=run.hub,
                run=run,
                start=start + timedelta(minutes=t * minutes),
                up_kw=_dec(up_total[t]),
                down_kw=_dec(down_total[t]),
                up_eur_per_kw=Decimal(repr(round(flex.up_eur_per_kw[t], 5))),
                down_eur_per_kw=Decimal(repr(round(flex.down_eur_per_kw[t], 5))),
            )
            for t in range(scenario.slots)
            if up_total[t] > 0.0005 or down_total[t] > 0.0005
        ]
    )


PLAN_SLOT_COLUMNS = [
    "run_id",
    "vehicle_id",
    "session_id",
    "start",
    "power_kw",
    "soc_kwh",
    "flex_up_kw",
    "flex_down_kw",
]


def _insert_plan_slots(rows: list[tuple[Any, ...]]) -> None:
    """A plan is thousands of rows: PostgreSQL takes them by COPY, ten times faster than INSERT."""
    if connection.vendor != "postgresql":
        PlanSlot.objects.bulk_create(
            [PlanSlot(**dict(zip(PLAN_SLOT_COLUMNS, row, strict=True))) for row in rows],
            batch_size=2000,
        )
        return
    sql = f"COPY {PlanSlot._meta.db_table} ({', '.join(PLAN_SLOT_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _bind_due(hub: Hub, built: BuiltScenario, plan: Plan, now: datetime) -> None:
    """Bind the chosen car of every booking that starts within the hub's lead time."""
    due = now + timedelta(minutes=hub.bind_lead_minutes)
    by_pk = {pk: key for key, pk in built.bookings.items()}
    vehicles = {v.pk: v for v in Vehicle.objects.filter(pk__in=built.vehicles.values())}
    for booking in Booking.objects.filter(
        pk__in=by_pk, status=BookingStatus.CONFIRMED, start__lte=due
    ).select_related("hub", "resident"):
        plate = plan.assignments.get(by_pk[booking.pk])
        if not plate:
            continue
        vehicle = vehicles.get(built.vehicles[plate])
        if vehicle is None:
            continue
        try:
            with transaction.atomic():
                booking_bind_vehicle(booking=booking, vehicle=vehicle, reason="dispatch plan")
        except (ValidationError, DatabaseError) as exc:
            # The next run retries; the late-binding job is the backstop.
            logger.warning("could not bind booking %s to %s: %s", booking.pk, vehicle.plate, exc)
