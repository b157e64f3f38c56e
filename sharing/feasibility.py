"""Can every booking of a hub get a car that keeps its range promise?

Pure: dataclasses in, dataclasses out; OR-Tools and the standard library only, no Django.
Times are whole minutes (any common origin), energy whole watt-hours, distance whole km.

The rules (``shared/spec/scenario.md``, "What makes a plan valid"):

* rule 1 - every booking gets exactly one car; a booking with a bound car keeps it;
* rule 2 - a booking holds its car for the block ``[start - buffer, end + buffer)``; the blocks of
  one car never overlap (so two bookings of one car leave ``2 * buffer`` between one's end and the
  next one's start), no block overlaps a maintenance window, and no booking starts before the car
  is available;
* rule 6 - the promise: at a booking's start its car holds at least
  ``floor + promised_km * consumption``;
* rules 3/5 - a car charges only while parked and not in maintenance, at its full charge power,
  never above capacity; it comes back with ``expected_km * consumption`` less than it left with.
  ``expected_km`` is capped at the promise, so a car never comes back below its floor.

The site's grid limit is ignored: the dispatcher in ``energy`` deals with it.

How it decides, fast first and exact always:

1. Split the bookings into *components*: between two components every car has had time to charge
   from empty to full, so no assignment in one can change the other.
2. A quick refusal when the promise exceeds what any free car can ever hold.
3. A greedy assignment (each booking in start order to the best-fitting car that keeps the
   promise), checked by :func:`verify`. Success is a proof of feasibility.
4. Otherwise the exact model: CP-SAT with one circuit per car over the bookings it may serve
   (a path from the depot through its bookings in time order) and an energy chain along the
   circuit's arcs. Charge only helps later bookings, so the chain is written as upper bounds on the
   charge at each start; the solver may pick the largest value, which is the physical one.
"""

from __future__ import annotations

import bisect
import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

NEW_BOOKING_ID = -1
DEFAULT_TIME_LIMIT_SECONDS = 5.0


@dataclass(frozen=True)
class Car:
    id: int
    capacity_wh: int
    floor_wh: int
    wh_per_km: int
    charge_w: int
    soc_wh: int
    """Charge held at ``available_from``."""
    available_from: int
    maintenance: tuple[tuple[int, int], ...] = ()
    max_km: int = 10**6
    """The most range one may promise with this car's model."""


@dataclass(frozen=True)
class Need:
    """One booking as the check sees it."""

    id: int
    start: int
    end: int
    promised_km: int
    expected_km: int
    bound_car: int | None = None
    forbidden_cars: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Result:
    feasible: bool
    assignment: dict[int, int] = field(default_factory=dict)
    """Booking id to car id: a witness when feasible."""
    method: str = ""
    proven: bool = True
    """False when the solver ran out of time; the answer is then a conservative "no"."""
    seconds: float = 0.0


# --- single-car arithmetic, shared by every method so they agree to the watt-hour ----------------


def need_wh(car: Car, need: Need) -> int:
    return car.floor_wh + need.promised_km * car.wh_per_km


def use_wh(car: Car, need: Need) -> int:
    return min(need.expected_km, need.promised_km) * car.wh_per_km


def charging_minutes(car: Car, t0: int, t1: int) -> int:
    """Minutes in ``[t0, t1)`` the car is plugged in (not in maintenance)."""
    if t1 <= t0:
        return 0
    minutes = t1 - t0
    for m_start, m_end in car.maintenance:
        overlap = min(t1, m_end) - max(t0, m_start)
        if overlap > 0:
            minutes -= overlap
    return minutes


def charge_wh(car: Car, t0: int, t1: int) -> int:
    return car.charge_w * charging_minutes(car, t0, t1) // 60


def can_serve(car: Car, need: Need, buffer: int) -> bool:
    """Whether the car could serve this booking on its own (time, maintenance, size)."""
    if need.bound_car is not None and need.bound_car != car.id:
        return False
    if car.id in need.forbidden_cars:
        return False
    if need.start < car.available_from:
        return False
    if need.promised_km > car.max_km or need_wh(car, need) > car.capacity_wh:
        return False
    block_start, block_end = block(need, buffer)
    return all(
        not (block_start < m_end and m_start < block_end) for m_start, m_end in car.maintenance
    )


def block(need: Need, buffer: int) -> tuple[int, int]:
    """The time ``[start - buffer, end + buffer)`` a booking holds its car (``Booking.block_*``)."""
    return need.start - buffer, need.end + buffer


def free_after(need: Need, buffer: int) -> int:
    """The earliest start of the car's next booking: the two blocks must not overlap."""
    return need.end + 2 * buffer


def follows(first: Need, second: Need, buffer: int) -> bool:
    return free_after(first, buffer) <= second.start


def _sort_key(need: Need) -> tuple[int, int, int]:
    return (need.start, need.end, need.id)


def _make_up(car: Car) -> tuple[object, ...]:
    """A car's make-up: everything the check knows of it but its id, charge and availability."""
    return (car.capacity_wh, car.floor_wh, car.wh_per_km, car.charge_w, car.maintenance, car.max_km)


def _alike(car: Car) -> tuple[object, ...]:
    """Everything but the id: cars equal in this answer every question about one booking alike."""
    return (_make_up(car), car.soc_wh, car.available_from)


def start_soc(car: Car) -> int:
    return min(car.capacity_wh, car.soc_wh)


def chain_ok(car: Car, chain: Sequence[Need], buffer: int) -> bool:
    """Simulate one car through its bookings (sorted by start)."""
    soc = start_soc(car)
    t = car.available_from
    previous: Need | None = None
    for need in chain:
        if not can_serve(car, need, buffer):
            return False
        if previous is not None and not follows(previous, need, buffer):
            return False
        soc = min(car.capacity_wh, soc + charge_wh(car, t, need.start))
        if soc < need_wh(car, need):
            return False
        soc -= use_wh(car, need)
        t = need.end
        previous = need
    return True


def verify(
    cars: Sequence[Car], needs: Sequence[Need], buffer: int, assignment: dict[int, int]
) -> bool:
    by_car: dict[int, list[Need]] = defaultdict(list)
    car_by_id = {car.id: car for car in cars}
    for need in needs:
        car_id = assignment.get(need.id)
        if car_id is None or car_id not in car_by_id:
            return False
        by_car[car_id].append(need)
    return all(
        chain_ok(car_by_id[car_id], sorted(chain, key=_sort_key), buffer)
        for car_id, chain in by_car.items()
    )


# --- components ---------------------------------------------------------------------------------


def resets(cars: Sequence[Car], free_from: int, until: int) -> bool:
    """Every car that could have served something before ``free_from`` is full by ``until``."""
    return all(
        charge_wh(car, free_from, until) >= car.capacity_wh
        for car in cars
        if car.available_from <= free_from
    )


def _resetter(cars: Sequence[Car]) -> Callable[[int, int], bool]:
    """:func:`resets`, fast for a big fleet: cars without maintenance need one fixed gap.

    Requiring that gap of every such car (even one not yet available) is stricter than
    :func:`resets`, and cutting less often is always safe.
    """
    plain = [car for car in cars if not car.maintenance]
    special = [car for car in cars if car.maintenance]
    if any(car.charge_w <= 0 for car in plain):
        gap_needed = None
    else:
        gap_needed = max((-(-car.capacity_wh * 60 // car.charge_w) for car in plain), default=0)

    def check(free_from: int, until: int) -> bool:
        if gap_needed is None or until - free_from < gap_needed:
            return False
        return resets(special, free_from, until)

    return check


def split_components(cars: Sequence[Car], needs: Iterable[Need], buffer: int) -> list[list[Need]]:
    """Groups of bookings that cannot influence each other, in time order."""
    components: list[list[Need]] = []
    current: list[Need] = []
    free_from = 0
    cut_ok = _resetter(cars)
    for need in sorted(needs, key=_sort_key):
        if current and (need.start < free_from or not cut_ok(free_from, need.start)):
            current.append(need)
            free_from = max(free_from, free_after(need, buffer))
            continue
        if current:
            components.append(current)
        current = [need]
        free_from = free_after(need, buffer)
    if current:
        components.append(current)
    return components


def component_around(
    cars: Sequence[Car],
    needs: Sequence[Need],
    buffer: int,
    anchor_start: int,
    anchor_end: int,
    loaded_from: int | None,
    loaded_until: int | None,
) -> list[Need] | None:
    """The bookings that interact with a booking ``[anchor_start, anchor_end)``.

    ``needs`` are the bookings loaded for ``[loaded_from, loaded_until]`` (``None``: everything on
    that side was loaded). Returns ``None`` when the component may reach past what was loaded, so
    the caller should load a wider window and ask again.
    """
    anchor = Need(NEW_BOOKING_ID, anchor_start, anchor_end, 0, 0)
    for component in split_components(cars, [*needs, anchor], buffer):
        if any(need.id == NEW_BOOKING_ID for need in component):
            break
    else:  # pragma: no cover - the anchor is always in some component
        raise AssertionError("anchor lost")
    first = min(need.start for need in component)
    last_free = max(free_after(need, buffer) for need in component)
    # At an edge of what was loaded, the unloaded bookings beyond it must be out of reach.
    at_left_edge = not any(need.start < first for need in needs)
    cut_ok = _resetter(cars)
    if loaded_from is not None and at_left_edge and not cut_ok(loaded_from, first):
        return None
    at_right_edge = not any(need.start >= last_free for need in needs)
    if loaded_until is not None and at_right_edge and not cut_ok(last_free, loaded_until):
        return None
    return [need for need in component if need.id != NEW_BOOKING_ID]


# --- greedy -------------------------------------------------------------------------------------


def greedy(cars: Sequence[Car], needs: Sequence[Need], buffer: int) -> dict[int, int] | None:
    """Each booking in start order to the car that fits tightest; ``None`` if it gets stuck."""
    # Per car: (time it came back or became available, charge then, whether it came from a trip)
    state: dict[int, tuple[int, int, bool]] = {
        car.id: (car.available_from, start_soc(car), False) for car in cars
    }
    car_by_id = {car.id: car for car in cars}
    bound_ahead: dict[int, list[Need]] = defaultdict(list)
    for need in sorted(needs, key=_sort_key):
        if need.bound_car is not None:
            bound_ahead[need.bound_car].append(need)
    # Cars alike in make-up and state are interchangeable: only the first of each class (in the
    # given order) is tried, and the classes are kept up to date as cars get bookings, so a
    # big, lightly used fleet costs per booking what its few distinct states cost. Cars with
    # a bound booking ahead are tried one by one.
    make_up = {car.id: _make_up(car) for car in cars}
    position = {car.id: i for i, car in enumerate(cars)}
    classes: dict[tuple[tuple[object, ...], tuple[int, int, bool]], list[int]] = defaultdict(list)
    loners: set[int] = set()
    for car in cars:
        if bound_ahead.get(car.id):
            loners.add(car.id)
        else:
            classes[make_up[car.id], state[car.id]].append(position[car.id])
    assignment: dict[int, int] = {}
    for need in sorted(needs, key=_sort_key):
        candidates: list[Car]
        if need.bound_car is not None:
            candidates = [car_by_id[need.bound_car]] if need.bound_car in car_by_id else []
        else:
            found = [(state[car_id][0], car_by_id[car_id]) for car_id in loners]
            for (_, (t, _, from_trip)), members in classes.items():
                if (t + 2 * buffer if from_trip else t) > need.start:
                    continue  # still out, or back too late for this booking
                for index in members:
                    # A car this booking may not have is refused by can_serve anyway.
                    if cars[index].id not in need.forbidden_cars:
                        found.append((t, cars[index]))
                        break
            # The car back the latest first: the search below stops at the first worse fit.
            found.sort(key=itemgetter(0), reverse=True)
            candidates = [car for _, car in found]
        best: tuple[int, int, int] | None = None
        best_soc = 0
        for car in candidates:
            t, soc, from_trip = state[car.id]
            if best is not None and need.start - t > best[0]:
                break  # idle longer than the best so far, and so is every car after it
            ready = t + 2 * buffer if from_trip else t  # after a trip: its block, then ours
            if ready > need.start or not can_serve(car, need, buffer):
                continue
            soc_at_start = min(car.capacity_wh, soc + charge_wh(car, t, need.start))
            if soc_at_start < need_wh(car, need):
                continue
            if need.bound_car is None:
                upcoming = bound_ahead.get(car.id)
                if upcoming:
                    nxt = upcoming[0]
                    if not follows(need, nxt, buffer):
                        continue
                    back = soc_at_start - use_wh(car, need)
                    if min(car.capacity_wh, back + charge_wh(car, need.end, nxt.start)) < need_wh(
                        car, nxt
                    ):
                        continue
            # Tightest fit: the car idle the shortest, then the one with the least spare charge.
            score = (need.start - t, soc_at_start - need_wh(car, need), car.id)
            if best is None or score < best:
                best, best_soc = score, soc_at_start
        if best is None:
            return None
        car_id = best[2]
        car = car_by_id[car_id]
        assignment[need.id] = car_id
        if car_id not in loners:
            old = (make_up[car_id], state[car_id])
            classes[old].remove(position[car_id])
            if not classes[old]:
                del classes[old]
        state[car_id] = (need.end, best_soc - use_wh(car, need), True)
        if need.bound_car is not None:
            bound_ahead[car_id].remove(need)
            if not bound_ahead[car_id]:
                loners.discard(car_id)
        if car_id not in loners:
            bisect.insort(classes[make_up[car_id], state[car_id]], position[car_id])
    return assignment


# --- exact --------------------------------------------------------------------------------------


def _relevant_cars(cars: Sequence[Car], needs: Sequence[Need]) -> list[Car]:
    """Drop interchangeable spares: of identical unbound cars, no more than there are bookings."""
    bound = {need.bound_car for need in needs if need.bound_car is not None}
    forbidden_by = defaultdict(set)
    for need in needs:
        for car_id in need.forbidden_cars:
            forbidden_by[car_id].add(need.id)
    kept: list[Car] = []
    per_class: dict[tuple[object, ...], int] = defaultdict(int)
    for car in cars:
        if car.id in bound:
            kept.append(car)
            continue
        key = (
            car.capacity_wh,
            car.floor_wh,
            car.wh_per_km,
            car.charge_w,
            car.soc_wh,
            car.available_from,
            car.maintenance,
            car.max_km,
            frozenset(forbidden_by[car.id]),
        )
        if per_class[key] < len(needs):
            per_class[key] += 1
            kept.append(car)
    return kept


def solve_exact(
    cars: Sequence[Car],
    needs: Sequence[Need],
    buffer: int,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT_SECONDS,
) -> Result:
    # CP-SAT is imported here: most checks end in the greedy, and its import costs ~0.4 s
    from ortools.sat.python import cp_model

    began = time.perf_counter()
    needs = sorted(needs, key=_sort_key)
    cars = _relevant_cars(cars, needs)
    model = cp_model.CpModel()
    serve: dict[tuple[int, int], cp_model.IntVar] = {}
    for ci, car in enumerate(cars):
        for ni, need in enumerate(needs):
            if can_serve(car, need, buffer):
                serve[ci, ni] = model.new_bool_var(f"serve_{car.id}_{need.id}")
    for ni in range(len(needs)):
        options = [serve[ci, ni] for ci in range(len(cars)) if (ci, ni) in serve]
        if not options:
            return Result(False, method="exact", seconds=time.perf_counter() - began)
        model.add_exactly_one(options)

    used_by_class: dict[tuple[object, ...], list[cp_model.IntVar]] = defaultdict(list)
    for ci, car in enumerate(cars):
        mine = [ni for ni in range(len(needs)) if (ci, ni) in serve]
        if not mine:
            continue
        used = model.new_bool_var(f"used_{car.id}")
        arcs: list[tuple[int, int, cp_model.LiteralT]] = [(0, 0, ~used)]
        soc = {
            ni: model.new_int_var(0, car.capacity_wh, f"soc_{car.id}_{needs[ni].id}") for ni in mine
        }
        for ni in mine:
            need, lit = needs[ni], serve[ci, ni]
            node = ni + 1
            model.add_implication(lit, used)
            arcs.append((node, node, ~lit))
            first = model.new_bool_var("")
            arcs.append((0, node, first))
            arcs.append((node, 0, model.new_bool_var("")))
            # Rule 6: the promise at start.
            model.add(soc[ni] >= need_wh(car, need)).only_enforce_if(lit)
            # Rules 3/5: the first booking starts with what the car charged since available.
            initial = min(
                car.capacity_wh, start_soc(car) + charge_wh(car, car.available_from, need.start)
            )
            model.add(soc[ni] <= initial).only_enforce_if(first)
        for ai in mine:
            for bi in mine:
                a, b = needs[ai], needs[bi]
                if ai == bi or not follows(a, b, buffer):
                    continue
                arc = model.new_bool_var("")
                arcs.append((ai + 1, bi + 1, arc))
                # Rules 3/5: back with the expected use less, then charging until the next start.
                gained = charge_wh(car, a.end, b.start)
                model.add(soc[bi] <= soc[ai] - use_wh(car, a) + gained).only_enforce_if(arc)
        model.add_bool_or([serve[ci, ni] for ni in mine]).only_enforce_if(used)
        model.add_circuit(arcs)
        is_spare = car.id not in {n.bound_car for n in needs}
        if is_spare:
            key = (
                car.capacity_wh,
                car.floor_wh,
                car.wh_per_km,
                car.charge_w,
                car.soc_wh,
                car.available_from,
                car.maintenance,
                car.max_km,
                tuple(sorted(ni for ni in range(len(needs)) if (ci, ni) in serve)),
            )
            used_by_class[key].append(used)
    # Symmetry: of identical cars, use them in order.
    for group in used_by_class.values():
        for earlier, later in itertools.pairwise(group):
            model.add_implication(later, earlier)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    seconds = time.perf_counter() - began
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        assignment = {
            needs[ni].id: cars[ci].id for (ci, ni), lit in serve.items() if solver.value(lit)
        }
        return Result(True, assignment, method="exact", seconds=seconds)
    proven = status == cp_model.INFEASIBLE
    return Result(False, method="exact", proven=proven, seconds=seconds)


# --- the questions the services ask ---------------------------------------------------------------


def upper_range_km(cars: Sequence[Car], probe: Need, buffer: int) -> int:
    """The most any car could promise in this window ignoring other bookings; -1 if none is free."""
    best = -1
    empty = Need(probe.id, probe.start, probe.end, 0, 0)
    seen: set[tuple[object, ...]] = set()
    for car in cars:
        alike = _alike(car)
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
    for need in sorted(needs, key=_sort_key):
        chains[base[need.id]].append(need)
    idle_seen: set[tuple[object, ...]] = set()
    for car in cars:
        if not chains[car.id]:
            alike = _alike(car)
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


@dataclass(frozen=True)
class RangeAnswer:
    km: int | None
    """The most range one can book for the window; ``None`` when no car is free at all."""
    proven: bool = True


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
        for need in sorted(needs, key=_sort_key):
            chains[base.assignment[need.id]].append(need)
        idle_seen: set[tuple[object, ...]] = set()
        for car in cars:
            if not chains[car.id]:
                # Idle cars alike in everything but the id give the same answer.
                alike = _alike(car)
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
