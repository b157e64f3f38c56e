"""Reference dispatchers and the safe fallback: no optimiser, never discharge, no flexibility.

* ``uncontrolled``: first free car in scenario order; every plugged car charges at full power
  until full. When the grid limit (rule 7) cannot feed every car, the earliest deadline (next
  booking start, private departure) goes first.
* ``greedy``: the same assignment; each car charges what its next deadline needs in the cheapest
  slots before it, then tops up where a kWh costs less than the terminal value.
* ``safe_plan``: ``uncontrolled`` charging for a given assignment; the solver's fallback.

If the grid cannot feed a promise, the unbound booking behind it is dropped (null) and the
schedule recomputed: the result keeps every promise it makes (rule 6).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .assign import assign
from .core import MARGIN, Arrays, BoolArr, FloatArr, plugged_mask, private_target, trips_by_vehicle
from .plan import Plan
from .scenario import Booking, Scenario, trip_need_kwh

Charger = Callable[[Scenario, Arrays, list[list[Booking]], BoolArr], FloatArr]


def _headroom(arr: Arrays) -> FloatArr:
    """What EV charging may add in each slot with all PV used (rule 7, import side)."""
    out: FloatArr = arr.imp_lim - arr.base + arr.pv - MARGIN
    return out


def charge_uncontrolled(
    scn: Scenario, arr: Arrays, trips: list[list[Booking]], plugged: BoolArr
) -> FloatArr:
    n, h = arr.n, arr.h
    nv = len(scn.vehicles)
    p = np.zeros((nv, n))
    soc = arr.initial.copy()
    head = _headroom(arr)
    deadline = np.full(nv, np.inf)
    starts: dict[tuple[int, int], Booking] = {}
    for i, lst in enumerate(trips):
        for b in lst:
            starts[(i, b.start_slot)] = b
    nxt = [0] * nv
    for i, v in enumerate(scn.vehicles):
        if v.is_private and v.departure_slot is not None:
            deadline[i] = v.departure_slot
    for t in range(n):
        for i, lst in enumerate(trips):
            k = nxt[i]
            if k < len(lst) and lst[k].start_slot == t:
                soc[i] -= lst[k].expected_km * arr.cons[i]
                nxt[i] = k + 1
            if not scn.vehicles[i].is_private:
                deadline[i] = lst[nxt[i]].start_slot if nxt[i] < len(lst) else np.inf
        want = np.where(
            plugged[:, t],
            np.clip((arr.battery - MARGIN - soc) / (arr.eta_c * h), 0.0, arr.cmax),
            0.0,
        )
        room = max(0.0, float(head[t]))
        if want.sum() > room:
            order = np.argsort(deadline, kind="stable")
            acc = 0.0
            for i in order:
                give = min(float(want[i]), room - acc)
                want[i] = max(0.0, give)
                acc += want[i]
        p[:, t] = want
        soc += arr.eta_c * want * h
    return p


def charge_greedy(
    scn: Scenario, arr: Arrays, trips: list[list[Booking]], plugged: BoolArr
) -> FloatArr:
    """Earliest deadline first; each deadline's missing energy goes in the cheapest plugged
    slots before it that still have grid headroom and battery room (rules 4, 5, 7)."""
    n, h = arr.n, arr.h
    nv = len(scn.vehicles)
    p = np.zeros((nv, n))
    head = np.maximum(0.0, _headroom(arr))
    tv = scn.terminal_value_eur_per_kwh
    drops = np.zeros((nv, n + 1))
    deadlines: list[tuple[int, int, float]] = []  # (boundary, vehicle, soc needed)
    fills: list[tuple[int, int, int]] = []  # (vehicle, first slot, end)
    for i, (v, lst) in enumerate(zip(scn.vehicles, trips, strict=False)):
        a = v.plugged_in_from_slot
        for b in lst:
            deadlines.append((b.start_slot, i, trip_need_kwh(v, b, n) + MARGIN))
            drops[i, b.start_slot + 1 :] += b.expected_km * v.consumption_kwh_per_km
            a = b.end_slot
        if v.is_private:
            end, target = private_target(v, plugged[i], h, n)
            deadlines.append((end, i, target))
            if v.departure_slot is not None and v.departure_slot > n:
                fills.append((i, a, n))
        elif a < n:
            fills.append((i, a, n))

    def trajectory(i: int) -> FloatArr:
        gain = arr.eta_c[i] * p[i] * h
        traj: FloatArr = arr.initial[i] + np.concatenate([[0.0], np.cumsum(gain)]) - drops[i]
        return traj

    def add(i: int, end: int, energy: float, max_price: float) -> None:
        """Put `energy` kWh (battery side) into the cheapest slots of vehicle i before `end`."""
        cand = np.flatnonzero(plugged[i, :end])
        kw_needed = energy / (arr.eta_c[i] * h)
        for t in cand[np.argsort(arr.imp[cand], kind="stable")]:
            if kw_needed <= 1e-12 or arr.imp[t] / arr.eta_c[i] >= max_price:
                break
            traj = trajectory(i)
            cap_kw = (arr.battery[i] - MARGIN - float(traj[t + 1 :].max())) / (arr.eta_c[i] * h)
            give = min(float(arr.cmax[i]) - p[i, t], float(head[t]), kw_needed, cap_kw)
            if give <= 0:
                continue
            p[i, t] += give
            head[t] -= give
            kw_needed -= give

    for end, i, need in sorted(deadlines):
        missing = need - float(trajectory(i)[end])
        if missing > 0:
            add(i, end, missing, np.inf)
    for i, a, end in fills:
        room = arr.battery[i] - MARGIN - float(trajectory(i)[end])
        if room > 0 and a < end:
            add(i, end, room, tv)
    return p


def lift_to_import_floor(
    scn: Scenario, arr: Arrays, trips: list[list[Booking]], plugged: BoolArr, p: FloatArr
) -> FloatArr:
    """Rule 7's lower side where the band asks a minimum import (a negative export limit):
    charge plugged cars more in those slots where their batteries have room in every later
    slot, else move charge there from earlier slots of the same plugged stay (the charge at
    every later boundary stays the same, and no trip starts in between, so no promise moves).

    A required export (a negative import limit) is left to the LP: discharging may break
    promises, and the plan then reports those slots as a band it does not keep."""
    floor = -arr.exp_lim
    if not np.any((floor > 0) & (floor - (arr.base + p.sum(axis=0)) > 1e-9)):
        return p
    p = p.copy()
    n, h = arr.n, arr.h
    drops = np.zeros((len(scn.vehicles), n + 1))
    for i, (v, lst) in enumerate(zip(scn.vehicles, trips, strict=False)):
        for b in lst:
            drops[i, b.start_slot + 1 :] += b.expected_km * v.consumption_kwh_per_km
    upper = arr.imp_lim - arr.base + arr.pv - MARGIN  # what charging may add (all PV used)
    for t in (int(x) for x in np.flatnonzero(floor > 0)):
        need = float(floor[t] - (arr.base[t] + p[:, t].sum())) + MARGIN
        need = min(need, float(upper[t] - p[:, t].sum()))
        for i in (int(x) for x in np.flatnonzero(plugged[:, t])):
            if need <= 1e-9:
                break
            gain = (
                arr.eta_c[i] * np.maximum(p[i], 0.0) * h + np.minimum(p[i], 0.0) * h / arr.eta_d[i]
            )
            traj = arr.initial[i] + np.concatenate([[0.0], np.cumsum(gain)]) - drops[i]
            room_kw = (arr.battery[i] - MARGIN - float(traj[t + 1 :].max())) / (arr.eta_c[i] * h)
            free_kw = float(arr.cmax[i]) - max(0.0, float(p[i, t]))
            give = max(0.0, min(free_kw, need, room_kw))
            p[i, t] += give
            need -= give
            free_kw -= give
            # then move charge from earlier slots of this stay (same energy, later)
            s = t - 1
            while need > 1e-9 and free_kw > 1e-9 and s >= 0 and plugged[i, s]:
                move = min(max(0.0, float(p[i, s])), need, free_kw)
                p[i, s] -= move
                p[i, t] += move
                need -= move
                free_kw -= move
                s -= 1
    return p


def promise_failures(
    scn: Scenario, arr: Arrays, trips: list[list[Booking]], p: FloatArr
) -> list[Booking]:
    """Bookings whose promise (rule 6 / rule 5 on return) this charging schedule misses."""
    h = arr.h
    bad: list[Booking] = []
    for i, (v, lst) in enumerate(zip(scn.vehicles, trips, strict=False)):
        if not lst:
            continue
        gain = np.where(p[i] >= 0, arr.eta_c[i] * p[i] * h, p[i] * h / arr.eta_d[i])
        cum = np.concatenate([[0.0], np.cumsum(gain)])
        drop = 0.0
        for b in lst:
            soc = v.initial_soc_kwh + cum[b.start_slot] - cum[v.plugged_in_from_slot] - drop
            if soc < trip_need_kwh(v, b, scn.slots) - 1e-7:
                bad.append(b)
            drop += b.expected_km * v.consumption_kwh_per_km
    return bad


def schedule(
    scn: Scenario, arr: Arrays, assignment: dict[str, str | None], charger: Charger
) -> tuple[dict[str, str | None], FloatArr, list[str]]:
    """Charge with `charger`; drop unbound bookings the grid cannot feed until all promises hold.

    Returns (assignment, power, notes).
    """
    assignment = dict(assignment)
    notes: list[str] = []
    for _ in range(len(scn.bookings) + 1):
        trips = trips_by_vehicle(scn, assignment)
        plugged = plugged_mask(arr, trips)
        p = lift_to_import_floor(scn, arr, trips, plugged, charger(scn, arr, trips, plugged))
        bad = promise_failures(scn, arr, trips, p)
        if not bad:
            return assignment, p, notes
        droppable = [b for b in bad if b.vehicle is None]
        if not droppable:
            notes.append(
                "bound booking(s) "
                + ", ".join(b.id for b in bad)
                + " cannot be fed within the grid limit: plan breaks rule 6"
            )
            return assignment, p, notes
        first = min(droppable, key=lambda b: b.start_slot)
        assignment[first.id] = None
        notes.append(
            f"booking {first.id} left unserved: the grid limit cannot charge its car in time"
        )
    return assignment, p, notes


def to_plan(
    scn: Scenario, assignment: dict[str, str | None], p: FloatArr, summary: dict[str, object]
) -> Plan:
    return Plan(
        scenario=scn.name,
        assignments=dict(assignment),
        power_kw={v.id: [float(x) for x in p[i]] for i, v in enumerate(scn.vehicles)},
        summary=dict(summary),
    )


def baseline_plan(scn: Scenario, kind: str = "uncontrolled") -> Plan:
    arr = Arrays.of(scn)
    charger = charge_uncontrolled if kind == "uncontrolled" else charge_greedy
    first = assign(scn, arr, policy="first")
    assignment, p, notes = schedule(scn, arr, first, charger)
    unserved = [b for b in scn.bookings if assignment[b.id] is None]
    for b in unserved:
        if first[b.id] is None:
            notes.append(f"booking {b.id} left unserved: no free car can keep its promise")
    return to_plan(
        scn, assignment, p, {"solver": f"baseline:{kind}", "status": "HEURISTIC", "notes": notes}
    )


def safe_plan(
    scn: Scenario, arr: Arrays, assignment: dict[str, str | None]
) -> tuple[dict[str, str | None], FloatArr, list[str]]:
    return schedule(scn, arr, assignment, charge_uncontrolled)
