"""The questions the services ask: can these bookings (and a new one) all be served, and how
much range can one still book?

Fast first and exact always: a quick refusal when no free car can hold the promise, then fitting
the new booking into a known witness, then the greedy (:mod:`.greedy`), then the exact model
(:mod:`.exact`), component by component (:mod:`.components`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence

from .components import split_components
from .exact import solve_exact
from .greedy import greedy
from .model import (
    DEFAULT_TIME_LIMIT_SECONDS,
    NEW_BOOKING_ID,
    Car,
    Need,
    RangeAnswer,
    Result,
    alike_key,
    can_serve,
    charge_wh,
    follows,
    need_wh,
    sort_key,
    start_soc,
    use_wh,
    verify,
)


def upper_range_km(cars: Sequence[Car], probe: Need, buffer: int) -> int:
    """The most any car could promise in this window ignoring other bookings; -1 if none is free."""
    best = -1
    empty = Need(probe.id, probe.start, probe.end, 0, 0)
    seen: set[tuple[object, ...]] = set()
    for car in cars:
        alike = alike_key(car)
        if alike in seen:
            continue
        seen.add(alike)
        if can_serve(car, empty, buffer):
            best = max(best, min(car.max_km, (car.capacity_wh - car.floor_wh) // car.wh_per_km))
    return best


def witness(
    cars: Sequence[Car], needs: Sequence[Need], buffer: int, *, time_limit: float
) -> Result:
    """An assignment for ``needs`` alone: greedy if it works, else exact."""
    began = time.perf_counter()
    if not needs:
        return Result(True, {}, method="empty")
    assignment = greedy(cars, needs, buffer)
    if assignment is not None and verify(cars, needs, buffer, assignment):
        return Result(True, assignment, method="greedy", seconds=time.perf_counter() - began)
    return solve_exact(cars, needs, buffer, time_limit=time_limit)


def _insertion_limits(
    car: Car, chain: Sequence[Need], new: Need, buffer: int
) -> tuple[int, int] | None:
    """Put ``new`` into one car's (feasible) chain: ``(charge at its start, least charge it must
    come back with)``, or ``None`` if it does not fit in time."""
    if not can_serve(car, Need(new.id, new.start, new.end, 0, 0), buffer):
        return None
    before = [need for need in chain if need.start < new.start]
    after = [need for need in chain if need.start >= new.start]
    if before and not follows(before[-1], new, buffer):
        return None
    if after and not follows(new, after[0], buffer):
        return None
    soc, t = start_soc(car), car.available_from
    for need in before:
        soc = min(car.capacity_wh, soc + charge_wh(car, t, need.start)) - use_wh(car, need)
        t = need.end
    soc_at_start = min(car.capacity_wh, soc + charge_wh(car, t, new.start))
    # Backwards through the later bookings: the least charge each must start with.
    required = 0
    t_next: int | None = None
    for need in reversed(after):
        own = need_wh(car, need)
        if t_next is not None:
            own = max(own, required + use_wh(car, need) - charge_wh(car, need.end, t_next))
        if own > car.capacity_wh:
            return None
        required, t_next = own, need.start
    back_needed = 0 if t_next is None else max(0, required - charge_wh(car, new.end, t_next))
    return soc_at_start, back_needed


def _insert(
    cars: Sequence[Car], needs: Sequence[Need], buffer: int, base: dict[int, int], new: Need
) -> dict[int, int] | None:
    """Fit ``new`` into the witness ``base`` without moving anything else."""
    chains: dict[int, list[Need]] = defaultdict(list)
    for need in sorted(needs, key=sort_key):
        chains[base[need.id]].append(need)
    idle_seen: set[tuple[object, ...]] = set()
    for car in cars:
        if not chains[car.id]:
            alike = alike_key(car)
            if alike in idle_seen:
                continue
            idle_seen.add(alike)
        if not can_serve(car, new, buffer):
            continue
        limits = _insertion_limits(car, chains[car.id], new, buffer)
        if limits is None:
            continue
        soc_at_start, back_needed = limits
        if soc_at_start >= need_wh(car, new) and soc_at_start - use_wh(car, new) >= back_needed:
            return {**base, new.id: car.id}
    return None


def check_with(
    cars: Sequence[Car],
    needs: Sequence[Need],
    new: Need,
    buffer: int,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT_SECONDS,
    base: Result | None = None,
) -> Result:
    """Whether ``needs`` (the component around ``new``) and ``new`` can all be served.

    ``base`` may pass a witness for ``needs`` alone that the caller already has."""
    began = time.perf_counter()
    if new.bound_car is None and new.promised_km > upper_range_km(cars, new, buffer):
        return Result(False, method="bound", seconds=time.perf_counter() - began)
    if base is None:
        base = witness(cars, needs, buffer, time_limit=time_limit)
    if base.feasible:
        inserted = _insert(cars, needs, buffer, base.assignment, new)
        if inserted is not None:
            return Result(
                True, inserted, method=f"{base.method}+insert", seconds=time.perf_counter() - began
            )
    everything = [*needs, new]
    assignment = greedy(cars, everything, buffer)
    if assignment is not None and verify(cars, everything, buffer, assignment):
        return Result(True, assignment, method="greedy", seconds=time.perf_counter() - began)
    exact = solve_exact(cars, everything, buffer, time_limit=time_limit)
    return Result(
        exact.feasible, exact.assignment, "exact", exact.proven, time.perf_counter() - began
    )


def check(
    cars: Sequence[Car],
    needs: Sequence[Need],
    buffer: int,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT_SECONDS,
) -> Result:
    """Whether all of ``needs`` can be served, component by component."""
    began = time.perf_counter()
    assignment: dict[int, int] = {}
    methods = set()
    for component in split_components(cars, needs, buffer):
        result = witness(cars, component, buffer, time_limit=time_limit)
        if not result.feasible:
            return Result(
                False,
                method=result.method,
                proven=result.proven,
                seconds=time.perf_counter() - began,
            )
        methods.add(result.method)
        assignment.update(result.assignment)
    return Result(True, assignment, "+".join(sorted(methods)), seconds=time.perf_counter() - began)


def max_range_km(
    cars: Sequence[Car],
    needs: Sequence[Need],
    start: int,
    end: int,
    buffer: int,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT_SECONDS,
    base: Result | None = None,
) -> RangeAnswer:
    """The largest ``N`` for which :func:`check_with` accepts a booking of ``N`` km (expected
    ``N`` km) in ``[start, end)``. Feasibility only gets harder as ``N`` grows, so a binary search
    with the same check gives the same answer a booking would get."""

    def probe(km: int) -> Need:
        return Need(NEW_BOOKING_ID, start, end, km, km)

    upper = upper_range_km(cars, probe(0), buffer)
    if upper < 0:
        return RangeAnswer(None)
    if base is None:
        base = witness(cars, needs, buffer, time_limit=time_limit)
    lower = -1
    if base.feasible:
        chains: dict[int, list[Need]] = defaultdict(list)
        for need in sorted(needs, key=sort_key):
            chains[base.assignment[need.id]].append(need)
        idle_seen: set[tuple[object, ...]] = set()
        for car in cars:
            if not chains[car.id]:
                # Idle cars alike in everything but the id give the same answer.
                alike = alike_key(car)
                if alike in idle_seen:
                    continue
                idle_seen.add(alike)
            limits = _insertion_limits(car, chains[car.id], probe(0), buffer)
            if limits is None:
                continue
            soc_at_start, back_needed = limits
            km = min(
                car.max_km,
                (soc_at_start - car.floor_wh) // car.wh_per_km,
                (soc_at_start - back_needed) // car.wh_per_km,
            )
            lower = max(lower, km)
    proven = True
    # Invariant: ``lower`` is feasible (or -1), everything above ``upper`` is not.
    while lower < upper:
        middle = (lower + upper + 1) // 2
        result = check_with(cars, needs, probe(middle), buffer, time_limit=time_limit, base=base)
        proven = proven and result.proven
        if result.feasible:
            lower = middle
        else:
            upper = middle - 1
    return RangeAnswer(lower if lower >= 0 else None, proven)
