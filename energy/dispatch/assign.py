"""Step 1 of the decomposition: which shared car serves which booking.

Bookings are taken in order of `start_slot`; each vehicle carries two running states:

* the *highest reachable* charge (charging flat out whenever plugged, capped at the battery),
  which decides energy reachability: a car may take a booking only if that charge meets the
  booking's need (rule 6, plus rule 5 on return) and every later bound booking stays reachable;
* a *lazy* charge (only what the promises force), used to estimate what a choice costs.

Rule 2 (no overlap, turnaround, maintenance, plugged_in_from_slot) is checked exactly. The grid
limit is ignored here; the LP turns a promise the grid cannot feed into a dropped booking.

Policies: ``first`` takes the first feasible car in scenario order (the baselines' rule);
``cost`` takes the feasible car with the lowest estimated cost: trip energy valued at the
terminal value, the extra charge the promise forces before departure valued at the cheapest
prices of that window, and the V2G value the car loses while away.
"""

from __future__ import annotations

import numpy as np

from .core import Arrays, FloatArr
from .scenario import Booking, Scenario, trip_need_kwh

# weight of the V2G value a car loses while away (tuned on the benchmark cases, see bench/)
V2G_WEIGHT = 0.25


def assign(
    scn: Scenario,
    arr: Arrays,
    policy: str = "cost",
    banned: frozenset[str] = frozenset(),
    prefer: dict[str, str] | None = None,
) -> dict[str, str | None]:
    """Return booking id -> vehicle id or None; bound bookings keep their car (rule 1).

    `prefer` (a re-plan warm from the previous plan): a free booking takes its preferred car
    whenever that car is still feasible for it (same checks as any other), else the policy's.
    """
    n, h = arr.n, arr.h
    nv = len(scn.vehicles)
    idx = scn.vehicle_index()
    shared = np.array([v.kind == "shared" for v in scn.vehicles], dtype=bool)
    # blocked: before plug-in or in maintenance; a booking may not touch such a slot (rule 2).
    blocked = np.zeros((nv, n), dtype=bool)
    for i, v in enumerate(scn.vehicles):
        blocked[i, : v.plugged_in_from_slot] = True
        for a, z in v.unavailable:
            blocked[i, a:z] = True
    bcum = np.zeros((nv, n + 1), dtype=np.int64)
    np.cumsum(blocked, axis=1, out=bcum[:, 1:])
    pcum = np.zeros((nv, n + 1), dtype=np.int64)
    np.cumsum(arr.avail, axis=1, out=pcum[:, 1:])
    gain = arr.eta_c * arr.cmax * h

    last_end = arr.p0.astype(np.int64).copy()
    busy_until = arr.p0.astype(np.int64).copy()  # earliest start of the next booking
    hi_soc = arr.initial.copy()
    lazy_soc = arr.initial.copy()

    rows = np.arange(nv)
    bound: list[list[Booking]] = [[] for _ in range(nv)]
    for b in scn.bookings:
        if b.vehicle is not None:
            bound[idx[b.vehicle]].append(b)
    for lst in bound:
        lst.sort(key=lambda b: b.start_slot)
    bound_ptr = [0] * nv

    tv = scn.terminal_value_eur_per_kwh
    spread = float(np.percentile(arr.imp, 90) - np.percentile(arr.imp, 10)) if n > 1 else 0.0
    # value of one kW of V2G staying at the hub for one slot: a rough arbitrage estimate
    v2g_value = V2G_WEIGHT * spread * h * arr.dmax
    price_cum = np.concatenate([[0.0], np.cumsum(arr.imp)])

    # the previous plan's car of each free booking (a warm re-plan), as arrays
    kept = [
        (idx[car], b.start_slot, b.end_slot, b.id)
        for b in scn.bookings
        if b.vehicle is None and (car := (prefer or {}).get(b.id)) is not None and car in idx
    ]
    res_car = np.array([k[0] for k in kept], dtype=np.int64)
    res_a = np.array([k[1] for k in kept], dtype=np.int64)
    res_z = np.array([k[2] for k in kept], dtype=np.int64)
    res_id = np.array([k[3] for k in kept], dtype=object)
    order = sorted(scn.bookings, key=lambda b: (b.start_slot, b.vehicle is None, b.end_slot))
    result: dict[str, str | None] = {}
    for b in order:
        s, e = b.start_slot, b.end_slot
        # trip_need_kwh for every car at once (a Python loop here was most of the safe plan's
        # time on 1,000 cars x 3,000 bookings)
        need = arr.min_soc + b.promised_range_km * arr.cons
        if b.end_slot < n:
            need = np.maximum(need, arr.min_soc + b.expected_km * arr.cons)
        energy = b.expected_km * arr.cons
        reach = np.minimum(arr.battery, hi_soc + gain * (pcum[:, s] - pcum[rows, last_end]))
        if b.vehicle is not None:
            i = idx[b.vehicle]
            result[b.id] = b.vehicle
            _advance(i, b, need, energy, reach, hi_soc, lazy_soc, last_end, busy_until, scn)
            bound_ptr[i] += 1
            continue
        if b.id in banned:
            result[b.id] = None
            continue
        ok = shared & (busy_until <= s) & (bcum[:, e] - bcum[:, s] == 0)
        ok &= reach >= need - 1e-9
        cand = np.flatnonzero(ok)
        if policy == "first":
            ranked = list(cand)
        else:
            lazy_at = lazy_soc  # no charging since the last return
            deficit = np.maximum(0.0, need - lazy_at) / arr.eta_c
            # price of the deficit: mean import price of the window before departure
            win = np.maximum(1, s - last_end)
            window_price = (price_cum[s] - price_cum[np.minimum(last_end, s)]) / win
            cost = (
                energy * tv
                + deficit * (np.minimum(window_price, price_cum[n] / n) - tv)
                + v2g_value * (e - s)
                + 1e-6 * np.arange(nv)
            )
            ranked = list(cand[np.argsort(cost[cand], kind="stable")])
        wanted = (prefer or {}).get(b.id)
        if len(res_car):
            # a warm re-plan: a car another booking keeps from the previous plan, overlapping
            # this one, is the last resort (else a new booking displaces a chain of old ones)
            turn = scn.min_turnaround_slots
            hit = (res_a < e + turn) & (s < res_z + turn) & (res_id != b.id)
            taken = set(res_car[hit].tolist())
            if taken:
                ranked = [r for r in ranked if int(r) not in taken] + [
                    r for r in ranked if int(r) in taken
                ]
        if wanted is not None and wanted in idx:
            first = [r for r in ranked if int(r) == idx[wanted]]
            ranked = first + [r for r in ranked if int(r) != idx[wanted]]
        chosen: int | None = None
        for raw in ranked:
            ci = int(raw)
            if _later_bound_ok(scn, arr, ci, b, float(reach[ci]), bound[ci][bound_ptr[ci] :], pcum):
                chosen = ci
                break
        if chosen is None:
            result[b.id] = None
            continue
        result[b.id] = scn.vehicles[chosen].id
        _advance(chosen, b, need, energy, reach, hi_soc, lazy_soc, last_end, busy_until, scn)
    return {b.id: result[b.id] for b in scn.bookings}


def _advance(
    i: int,
    b: Booking,
    need: FloatArr,
    energy: FloatArr,
    reach: FloatArr,
    hi_soc: FloatArr,
    lazy_soc: FloatArr,
    last_end: np.ndarray,
    busy_until: np.ndarray,
    scn: Scenario,
) -> None:
    hi_soc[i] = reach[i] - energy[i]
    lazy_soc[i] = max(lazy_soc[i], need[i]) - energy[i]
    last_end[i] = b.end_slot
    busy_until[i] = b.end_slot + scn.min_turnaround_slots


def _later_bound_ok(
    scn: Scenario,
    arr: Arrays,
    i: int,
    b: Booking,
    reach_s: float,
    later: list[Booking],
    pcum: np.ndarray,
) -> bool:
    """Rule 2 and reachability of the car's later bound bookings if it also takes `b`."""
    if not later:
        return True
    v = scn.vehicles[i]
    if later[0].start_slot < b.end_slot + scn.min_turnaround_slots:
        return False
    gain = float(arr.eta_c[i] * arr.cmax[i] * arr.h)
    soc = reach_s - b.expected_km * v.consumption_kwh_per_km
    t = b.end_slot
    for nb in later:
        soc = min(v.battery_kwh, soc + gain * float(pcum[i, nb.start_slot] - pcum[i, t]))
        if soc < trip_need_kwh(v, nb, scn.slots) - 1e-9:
            return False
        soc -= nb.expected_km * v.consumption_kwh_per_km
        t = nb.end_slot
    return True
