"""The exact model: CP-SAT with one circuit per car and an energy chain along its arcs.

Each car's circuit is a path from the depot through the bookings it serves in time order. Charge
only helps later bookings, so the chain is written as upper bounds on the charge at each start;
the solver may pick the largest value, which is the physical one. Used when the greedy
(:mod:`.greedy`) gets stuck.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .model import (
    DEFAULT_TIME_LIMIT_SECONDS,
    Car,
    Need,
    Result,
    can_serve,
    charge_wh,
    follows,
    need_wh,
    sort_key,
    start_soc,
    use_wh,
)

if TYPE_CHECKING:
    from ortools.sat.python import cp_model


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
    needs = sorted(needs, key=sort_key)
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
