"""The fast way to a yes: each booking in start order to the car that fits tightest.

Its assignment is checked with :func:`~sharing.feasibility.model.verify`, so success proves
feasibility; getting stuck proves nothing, and the exact model (:mod:`.exact`) decides.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from operator import itemgetter

from .model import (
    Car,
    Need,
    can_serve,
    charge_wh,
    follows,
    make_up_of,
    need_wh,
    sort_key,
    start_soc,
    use_wh,
)


def greedy(cars: Sequence[Car], needs: Sequence[Need], buffer: int) -> dict[int, int] | None:
    """Each booking in start order to the car that fits tightest; ``None`` if it gets stuck."""
    # Per car: (time it came back or became available, charge then, whether it came from a trip)
    state: dict[int, tuple[int, int, bool]] = {
        car.id: (car.available_from, start_soc(car), False) for car in cars
    }
    car_by_id = {car.id: car for car in cars}
    bound_ahead: dict[int, list[Need]] = defaultdict(list)
    for need in sorted(needs, key=sort_key):
        if need.bound_car is not None:
            bound_ahead[need.bound_car].append(need)
    # Cars alike in make-up and state are interchangeable: only the first of each class (in the
    # given order) is tried, and the classes are kept up to date as cars get bookings, so a
    # big, lightly used fleet costs per booking what its few distinct states cost. Cars with
    # a bound booking ahead are tried one by one.
    make_up = {car.id: make_up_of(car) for car in cars}
    position = {car.id: i for i, car in enumerate(cars)}
    classes: dict[tuple[tuple[object, ...], tuple[int, int, bool]], list[int]] = defaultdict(list)
    loners: set[int] = set()
    for car in cars:
        if bound_ahead.get(car.id):
            loners.add(car.id)
        else:
            classes[make_up[car.id], state[car.id]].append(position[car.id])
    assignment: dict[int, int] = {}
    for need in sorted(needs, key=sort_key):
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
