"""The booking benchmark's report: per pass the throughput and the latency table (client and
server, p50/p95/max, status codes, targets), the rate sweep and its sustainable rate, then the
feasibility check's own time per booking and the independent check that no car is double-booked
(every open booking bound to the car of one whole-hub witness, overlaps counted in SQL).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection

from bench.bookings.pacing import KINDS, Pass, meets_targets
from bench.measure import percentile
from sharing import feasibility as fz
from sharing.car_cache import minute
from sharing.models import Booking, BookingStatus, Hub
from sharing.snapshot import HOLDS_CAR, snapshot

H = timedelta(hours=1)


def need_from_row(
    pk: int,
    start: datetime,
    end: datetime,
    promised: int,
    expected: int,
    vehicle_id: int | None,
    status: str,
) -> fz.Need:
    # Plain strings: comparing with the TextChoices members is slow in this hot loop.
    bound = vehicle_id if status in HOLDS_CAR else None
    return fz.Need(pk, minute(start), minute(end), promised, expected, bound)


def table(out: Callable[[str], Any], measured: Pass) -> None:
    out(f"{'operation':<26}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}  status")
    for kind, label in KINDS:
        values = measured.client[kind]
        status = ", ".join(f"{k}: {v}" for k, v in sorted(measured.codes[kind].items()))
        out(
            f"{label + ' (client)':<26}{len(values):>6}{percentile(values, 0.5):>10.1f}"
            f"{percentile(values, 0.95):>10.1f}{max(values, default=0):>10.1f}  {status}"
        )
        values = measured.server[kind]
        out(
            f"{'  in the server':<26}{len(values):>6}{percentile(values, 0.5):>10.1f}"
            f"{percentile(values, 0.95):>10.1f}{max(values, default=0):>10.1f}"
        )
    for where, times in (("client", measured.client), ("server", measured.server)):
        out(
            f"targets (availability p95 <= 50 ms, create p95 <= 150 ms) as the {where} "
            f"measures: {'met' if meets_targets(times) else 'MISSED'}"
        )


def report(
    out: Callable[[str], Any],
    opts: dict[str, Any],
    hub: Hub,
    now: Any,
    passes: list[Pass],
    sweep: list[tuple[float, Pass]],
) -> None:
    rng = random.Random(99)
    check_ms, solver_ms, sizes = [], [], []
    base = hub.floor_to_slot(now.astimezone(hub.tz)) + timedelta(days=1)
    for _ in range(100):
        start = base + timedelta(days=rng.randint(0, 58), hours=rng.randint(7, 18))
        began = time.perf_counter()
        state = snapshot(hub, now)
        result = state.check_new(start, start + 2 * H, 50, 50)
        check_ms.append((time.perf_counter() - began) * 1000)
        solver_ms.append(result.seconds * 1000)
        sizes.append(len(state.component(start, start + 2 * H)))

    # Bind every open booking to the car of one global witness, then ask SQL for overlaps
    # (the exclusion constraint would refuse them anyway; this is the independent check).
    rows = Booking.objects.filter(
        hub=hub, status__in=[BookingStatus.CONFIRMED, BookingStatus.BOUND]
    ).values_list("pk", "start", "end", "promised_range_km", "expected_km", "vehicle_id", "status")
    needs = [need_from_row(*row) for row in rows]
    state = snapshot(hub, now)
    began = time.perf_counter()
    witness = fz.check(state.cars, needs, state.buffer)
    whole_ms = (time.perf_counter() - began) * 1000
    if witness.feasible:
        by_car: dict[int, list[int]] = {}
        for booking_id, car_id in witness.assignment.items():
            by_car.setdefault(car_id, []).append(booking_id)
        for car_id, ids in by_car.items():
            Booking.objects.filter(pk__in=ids).update(vehicle_id=car_id, status=BookingStatus.BOUND)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM sharing_booking a JOIN sharing_booking b
              ON a.vehicle_id = b.vehicle_id AND a.id < b.id
             AND tstzrange(a.block_start, a.block_end) && tstzrange(b.block_start, b.block_end)
            WHERE a.status IN ('bound', 'active') AND b.status IN ('bound', 'active')
            """
        )
        overlaps = cursor.fetchone()[0]
    total = Booking.objects.filter(hub=hub).count()
    line = "-" * 78
    out(line)
    out(
        f"{opts['vehicles']} vehicles, {opts['bookings']} seeded bookings, "
        f"{opts['clients']} clients, gunicorn -w {opts['workers']} "
        + (f"--threads {opts['threads']}" if opts["threads"] > 1 else "(sync)")
        + "; targets: availability p95 <= 50 ms, create p95 <= 150 ms"
    )
    for number, measured in enumerate(passes, 1):
        out(line)
        sent = sum(len(v) for v in measured.client.values())
        out(f"pass {number}, {measured.label}")
        out(f"  {sent} requests in {measured.wall:.1f} s: {measured.rate:.0f} requests/s")
        if number == 1:
            out(
                f"  (Little's law: {opts['clients']} clients that never pause wait at least "
                f"{opts['clients']} / {measured.rate:.0f} s = "
                f"{1000 * opts['clients'] / measured.rate:.0f} ms per request on average)"
            )
        table(out, measured)
    if sweep:
        out(line)
        out(
            f"pass {len(passes) + 1}, rate sweep: open loop, {opts['clients']} clients with "
            f"Poisson send times, {opts['step_seconds']:.0f} s per step; latency counts from "
            "when a request was due"
        )
        out(
            f"{'rate/s':>7}{'achieved':>9}  {'availability p95 ms':>22}  "
            f"{'create p95 ms':>22}  targets"
        )
        out(f"{'':>18}{'client':>11}{'server':>11}  {'client':>11}{'server':>11}")
        for rate, step in sweep:
            a_c, a_s = step.client["availability"], step.server["availability"]
            c_c, c_s = step.client["create"], step.server["create"]
            out(
                f"{rate:>7.0f}{step.rate:>9.1f}  {percentile(a_c, 0.95):>11.1f}"
                f"{percentile(a_s, 0.95):>11.1f}  {percentile(c_c, 0.95):>11.1f}"
                f"{percentile(c_s, 0.95):>11.1f}  "
                f"{'met' if meets_targets(step.client) else 'MISSED'}"
            )
        held = [rate for rate, step in sweep if meets_targets(step.client)]
        if not held:
            out("sustainable rate: below the first step (targets missed at every rate)")
        else:
            best = max(held)
            last = " (the highest step tried)" if best == sweep[-1][0] else ""
            out(
                f"sustainable rate: {best:.0f} requests/s with both p95 targets met as the "
                f"clients measure{last}"
            )
    out(line)
    out(
        f"{'feasibility check (+DB)':<26}{len(check_ms):>6}{percentile(check_ms, 0.5):>10.1f}"
        f"{percentile(check_ms, 0.95):>10.1f}{max(check_ms):>10.1f}  "
        f"component size p50 {statistics.median(sizes):.0f}, max {max(sizes)}"
    )
    out(
        f"{'  of which solver':<26}{len(solver_ms):>6}{percentile(solver_ms, 0.5):>10.1f}"
        f"{percentile(solver_ms, 0.95):>10.1f}{max(solver_ms):>10.1f}"
    )
    out(line)
    out(
        f"after the run: {total} bookings; whole-hub check {whole_ms:.0f} ms "
        f"({'feasible' if witness.feasible else 'INFEASIBLE'}, {witness.method}); "
        f"all bound to the witness; overlapping blocks per SQL: {overlaps}"
    )
