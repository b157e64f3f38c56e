"""Step 1b of the decomposition: local search on the assignment, judged by per-vehicle LPs.

With the grid priced per slot (the subgradient of the grid cost at the current plan's net power,
as in `decompose.py`), the fixed LP falls apart into one small LP per vehicle, and a change of
assignment only touches the vehicles it moves bookings between. So a move is judged exactly on
those vehicles' LPs (flexibility included) with the grid at fixed prices:

* relocate: a free booking from its car to another shared car;
* swap: two free bookings that overlap in time exchange their cars;
* insert: a booking left null goes to a car (saving the unserved penalty).

Each car's LP lives in a `CarLP` (kept warm in HiGHS; a trip set is a change of bounds).
Rule 2 is checked before a move is priced; a move whose promise no charging can reach makes the
car's LP infeasible and is never taken. Moves are tried in the
order of a cheap estimate (V2G time kept at the hub, trip energy), first improvement, until the
time budget ends. The caller re-solves the whole LP for the new assignment and keeps whichever
checked plan scores better, so the grid coupling the prices leave out can never make it worse.
"""

from __future__ import annotations

import time

import numpy as np

from .carlp import CarLP
from .core import Arrays, FloatArr
from .decompose import SLOPE_STEP, grid_cost
from .lp import build_and_solve, fixed_prices
from .plan import Plan
from .scenario import Booking, Scenario

MIN_GAIN = 1e-3  # EUR: smaller "improvements" are LP noise
TARGETS = 1  # cars tried per booking in the first round (best estimates first); grows by 2


def grid_prices(arr: Arrays, power: FloatArr, dual: FloatArr | None = None) -> FloatArr:
    """The grid row's dual per kWh where known (GLOP), else a subgradient of each slot's grid
    cost at the plan's net power (mid of both slopes)."""
    y = arr.base + power.sum(axis=0)
    with np.errstate(invalid="ignore"):
        g = grid_cost(arr, y)
        right = (grid_cost(arr, y + SLOPE_STEP) - g) / (arr.h * SLOPE_STEP)
        left = (g - grid_cost(arr, y - SLOPE_STEP)) / (arr.h * SLOPE_STEP)
    imp_p, _ = fixed_prices(arr)
    ok = np.isfinite(left) & np.isfinite(right)
    out: FloatArr = np.where(ok, 0.5 * (left + right), imp_p)
    if dual is not None and dual.shape == out.shape:
        out = np.where(np.isfinite(dual), dual / arr.h, out)
    return out


class _Search:
    def __init__(
        self,
        scn: Scenario,
        arr: Arrays,
        assignment: dict[str, str | None],
        prices: FloatArr,
        deadline: float,
        lps: dict[int, CarLP] | None = None,
    ) -> None:
        self.scn, self.arr, self.prices, self.deadline = scn, arr, prices, deadline
        self.assignment = dict(assignment)
        self.idx = scn.vehicle_index()
        self.vs = scn.vehicles
        self.book = {b.id: b for b in scn.bookings}
        self.cache: dict[tuple[int, frozenset[str]], float] = {}
        self.trips: list[set[str]] = [set() for _ in self.vs]
        for bid, vid in self.assignment.items():
            if vid is not None:
                self.trips[self.idx[vid]].add(bid)
        self.lps: dict[int, CarLP] = {} if lps is None else lps
        self.solves = 0

    def value(self, i: int, trips: set[str]) -> float:
        """The vehicle's LP optimum with these trips and the grid at fixed prices."""
        key = (i, frozenset(trips))
        if key not in self.cache:
            lp = self.lps.get(i)
            if lp is None:
                lp = self.lps[i] = CarLP(self.scn, self.arr, i, self.prices)
            # (a car's LP leaves the unserved penalty out: the caller accounts for inserts)
            remaining = self.deadline - time.perf_counter()
            self.cache[key] = lp.value((self.book[b] for b in trips), time_limit=remaining)
            self.solves += 1
        return self.cache[key]

    def fits(self, i: int, b: Booking, without: str | None = None) -> bool:
        """Rule 2 for vehicle i taking booking b (ignoring its booking `without`)."""
        v = self.vs[i]
        if v.kind != "shared" or b.start_slot < v.plugged_in_from_slot:
            return False
        if any(b.start_slot < z and a < b.end_slot for a, z in v.unavailable):
            return False
        turn = self.scn.min_turnaround_slots
        for bid in self.trips[i]:
            if bid == without:
                continue
            o = self.book[bid]
            if not (o.end_slot + turn <= b.start_slot or b.end_slot + turn <= o.start_slot):
                return False
        return True

    def out_of_time(self) -> bool:
        return time.perf_counter() >= self.deadline


def improve(
    scn: Scenario,
    arr: Arrays,
    assignment: dict[str, str | None],
    plan: Plan,
    *,
    deadline: float,
    with_duals: bool = False,
    focus: set[str] | None = None,
    lps: dict[int, CarLP] | None = None,
) -> tuple[dict[str, str | None], str]:
    """A better assignment by local search (or the same one) and a one-line account.

    `focus` (a warm re-plan): only moves of these bookings, and swaps involving one of them.
    `lps` (filled in): the cars' LPs it built, by vehicle index, for the caller to reuse.

    `with_duals`: solve the fixed LP once more with GLOP for the grid rows' duals (the marginal
    price where the import limit binds); worth it on small LPs where the grid binds often.
    """
    power = np.array([plan.power_kw[v.id] for v in scn.vehicles], dtype=float)
    dual = None
    if with_duals:
        res = build_and_solve(
            scn,
            arr,
            "fixed",
            assignment=assignment,
            time_limit=max(0.05, (deadline - time.perf_counter()) / 3),  # never past it
            solver="glop",
        )
        if res.status == "OPTIMAL" and res.grid_dual.size:
            dual = res.grid_dual
    s = _Search(scn, arr, assignment, grid_prices(arr, power, dual), deadline, lps)
    free = [b for b in scn.bookings if b.vehicle is None]
    movable = free if focus is None else [b for b in free if b.id in focus]
    shared = [i for i, v in enumerate(s.vs) if v.kind == "shared"]
    h = arr.h
    spread = float(np.percentile(arr.imp, 90) - np.percentile(arr.imp, 10)) if arr.n > 1 else 0.0
    tv = scn.terminal_value_eur_per_kwh

    def estimate(b: Booking, i: int) -> float:
        """Rough cost of booking b on vehicle i: V2G time away and trip energy."""
        return float(
            0.25 * spread * h * arr.dmax[i] * (b.end_slot - b.start_slot)
            + b.expected_km * arr.cons[i] * tv
        )

    gained = 0.0
    moves = 0
    targets = TARGETS
    for _round in range(50):
        cands: list[tuple[float, str, str, int]] = []  # (estimate, kind, booking, vehicle)
        for b in movable:
            cur = s.assignment[b.id]
            base = estimate(b, s.idx[cur]) if cur is not None else scn.unserved_penalty_eur
            for i in shared:
                if cur is not None and s.idx[cur] == i:
                    continue
                if s.fits(i, b):
                    cands.append((estimate(b, i) - base, "move", b.id, i))
        # the best few targets of each booking, so that the budget spreads over all bookings
        per: dict[str, list[tuple[float, str, str, int]]] = {}
        for cand in sorted(cands, key=lambda c: c[0]):
            lst = per.setdefault(cand[2], [])
            if len(lst) < targets:
                lst.append(cand)
        order = sorted((c for lst in per.values() for c in lst), key=lambda c: c[0])
        # swaps of two overlapping free bookings on different cars
        swaps: list[tuple[float, str, str]] = []
        served = sorted(
            (b for b in free if s.assignment[b.id] is not None), key=lambda b: b.start_slot
        )
        for x, b in enumerate(served):
            for c in served[x + 1 :]:
                if c.start_slot >= b.end_slot:
                    break
                if focus is not None and b.id not in focus and c.id not in focus:
                    continue
                if s.assignment[b.id] != s.assignment[c.id]:
                    u, v = s.idx[str(s.assignment[b.id])], s.idx[str(s.assignment[c.id])]
                    est = estimate(b, v) + estimate(c, u) - estimate(b, u) - estimate(c, v)
                    swaps.append((est, b.id, c.id))
        swaps.sort(key=lambda c: c[0])
        improved = False
        # swaps first (they hit about twice as often as relocations), then relocations
        for _est, bid, cid in swaps:
            if s.out_of_time():
                break
            bu, cv = s.assignment[bid], s.assignment[cid]
            if bu is None or cv is None or bu == cv:
                continue
            u, v = s.idx[bu], s.idx[cv]
            b, c = s.book[bid], s.book[cid]
            if not (s.fits(v, b, without=cid) and s.fits(u, c, without=bid)):
                continue
            tu = (s.trips[u] - {bid}) | {cid}
            tvv = (s.trips[v] - {cid}) | {bid}
            delta = (
                s.value(u, tu) + s.value(v, tvv) - s.value(u, s.trips[u]) - s.value(v, s.trips[v])
            )
            if delta < -MIN_GAIN:
                s.trips[u], s.trips[v] = tu, tvv
                s.assignment[bid], s.assignment[cid] = cv, bu
                gained -= delta
                moves += 1
                improved = True
        for _est, _kind, bid, i in order:
            if s.out_of_time():
                break
            b = s.book[bid]
            cur = s.assignment[bid]
            if not s.fits(i, b):
                continue  # an earlier move changed this car's trips
            new_i = s.trips[i] | {bid}
            delta = s.value(i, new_i) - s.value(i, s.trips[i])
            if cur is not None:
                u = s.idx[cur]
                delta += s.value(u, s.trips[u] - {bid}) - s.value(u, s.trips[u])
            else:
                delta -= scn.unserved_penalty_eur
            if delta < -MIN_GAIN:
                if cur is not None:
                    s.trips[s.idx[cur]].discard(bid)
                s.trips[i].add(bid)
                s.assignment[bid] = s.vs[i].id
                gained -= delta
                moves += 1
                improved = True
        if s.out_of_time():
            break
        if not improved:
            if targets >= len(shared):
                break
            targets += 2
    info = (
        f"local search: {moves} move(s), estimated gain {gained:.3f} EUR at fixed grid prices, "
        f"{s.solves} vehicle LPs, {_round + 1} round(s)"
    )
    return s.assignment, info
