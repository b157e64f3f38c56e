"""Flexibility at scale: the fixed LP by column generation on the grid rows (Dantzig-Wolfe).

For a fixed assignment, the vehicles are coupled only by the grid rows of each slot: rule 7
(`base + sum p` met by import, export and PV within the limits) and rule 7 under activation (all
up, all down). Each car's own LP (`CarLP`: rules 3-6 and 8 of that car, its score terms) is a
convex set X_v. The master LP chooses per car a convex combination of columns (schedules in X_v,
each with its cost) and the grid variables; a convex combination stays in X_v, so every master
solution is a plan of the fixed LP, and the master is an anytime answer: each round can only
lower its optimum. The master's duals price each car's LP (net power at the net row's dual minus
the activation rows', fu and fd at theirs); a schedule of negative reduced cost joins the master.

Start columns per car: the plan's power without flexibility, the same power with the car's
best flexibility (its own LP with c and d fixed), and (given `caps`) with flexibility capped at
what `flexaround.py` offers around the plan. The master may give flexibility back per slot
(`cgmaster.py`), so the first master is already at least the flexibility around the plan; later
rounds let power move as well (charging more in a slot makes room for all-up activation there).
Priced slacks keep the master feasible whatever the columns (a plan that still leans on them
fails the check and is not kept). The first pricing is at estimated duals (the grid's marginal
price, and the flexibility price where the plan's flexibility fills the band): measured on `af`
(124 cars), 4 EUR better after 5 s than starting from the first master's duals. Later rounds
price at a point between the master's duals and those of the best bound so far (Wentges
smoothing, `SMOOTHING`), and the master is re-solved by primal simplex from its last basis.

When every car was priced to optimality in a round, the Lagrangian at the pricing duals bounds
the fixed LP from below: the account states how far the master is from it. The cars' LPs are
priced in two threads (HiGHS releases the GIL). Measured (`plan_scenario`, this machine): on
the week (`c`, 83 cars x 672 slots) the LP with flexibility took 4 s on the first assignment and
did not finish in 16 s on the local search's, where this converged (0.01 %) in 6.4 s; on `af`
(124 cars) it is still 5-30 % above its bound after 2-3 s (tailing), yet better than the
flexibility around the plan; on small hubs the LP itself is far faster (`solver.py` runs this
only where the LP is predicted not to finish, and alongside it where it might).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from .carlp import CarLP
from .cgmaster import Column, Master
from .check import CheckResult
from .core import Arrays, FloatArr, plugged_mask, trips_by_vehicle
from .flexaround import flex_around
from .improve import grid_prices
from .lp import LPResult
from .plan import Plan
from .postprocess import net_power, postprocess
from .scenario import Scenario

T = TypeVar("T")

THREADS = 2  # pricing threads (the machine's two cores)
RC_TOL = 1e-4  # EUR: a column must lower the master by more than this
# Wentges smoothing, the weight of the best bound's duals in the pricing point. Measured with
# the master by primal simplex: af after 3 s -284.8 EUR (-281.4 without), the week converged
# in 6.4 s (14.4 without); with dual simplex masters it had not paid on af
SMOOTHING = 0.5
OFFER_EVERY = 3  # rounds between plans handed to the caller
# the relative gap to the Lagrangian bound at which the rounds stop
GAP_TOL = 1e-4


@dataclass
class _Car:
    lp: CarLP
    bounds: tuple[FloatArr, FloatArr, FloatArr, FloatArr]

    def grids(self) -> list[np.ndarray]:
        return [g[0] for g in self.lp.model.power]

    def read(self, sol: FloatArr) -> Column:
        n = self.lp.n
        vals = []
        grids = self.grids()
        for k in range(4):
            out = np.zeros(n)
            if k < len(grids):
                idx = grids[k]
                ok = idx >= 0
                out[ok] = np.maximum(0.0, sol[idx[ok]])
            vals.append(out)
        cost = float(self.lp.base_obj @ sol) + self.lp.model.const
        return Column(vals[0], vals[1], vals[2], vals[3], cost)


def _fixed_column(
    car: _Car,
    c0: FloatArr,
    d0: FloatArr,
    flex: bool,
    left: float,
    caps: tuple[FloatArr, FloatArr] | None = None,
) -> Column | None:
    """The car's LP with its power fixed at the plan's (c0, d0): without flexibility, with the
    car's best, or with flexibility capped per slot at `caps` (fu, fd)."""
    lb, ub, rlo, rhi = (a.copy() for a in car.bounds)
    grids = car.grids()
    for k, val in ((0, c0), (1, d0)):
        idx = grids[k]
        ok = idx >= 0
        v = np.clip(val[ok], lb[idx[ok]], ub[idx[ok]])
        lb[idx[ok]] = ub[idx[ok]] = v
    for k, idx in enumerate(grids[2:]):
        ok = idx >= 0
        if not flex:
            ub[idx[ok]] = 0.0
        elif caps is not None:
            ub[idx[ok]] = np.minimum(ub[idx[ok]], np.maximum(0.0, caps[k][ok]))
    sol = car.lp.column((lb, ub, rlo, rhi), car.lp.base_obj, left)
    return None if sol is None else car.read(sol)


def _priced_cost(car: _Car, w: FloatArr, a: FloatArr, b: FloatArr) -> FloatArr:
    """Column costs of the car's LP at the master's duals: net power at w, fu at a, fd at b."""
    cost = car.lp.base_obj.copy()
    grids = car.grids()
    for k, price in enumerate((w, -w, a, b)):
        if k < len(grids):
            idx = grids[k]
            ok = idx >= 0
            cost[idx[ok]] += price[ok]
    return cost


def _each(
    cars: list[_Car], fn: Callable[[int, _Car], T], over: Callable[[], bool]
) -> list[T | None]:
    """fn(i, car) for every car, in THREADS threads (each car's LP in one thread); None where
    time ran out first. HiGHS releases the GIL: two threads priced af's cars 2.8x faster."""
    out: list[T | None] = [None] * len(cars)
    failed: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(k, len(cars), THREADS):
                if over():
                    return
                out[i] = fn(i, cars[i])
        except BaseException as exc:  # re-raised in the caller's thread
            failed.append(exc)

    helpers = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(1, THREADS)]
    for t in helpers:
        t.start()
    work(0)
    for t in helpers:
        t.join()
    if failed:
        raise failed[0]
    return out


def colgen(
    scn: Scenario,
    arr: Arrays,
    assignment: dict[str, str | None],
    c0: FloatArr,
    d0: FloatArr,
    deadline: float,
    caps: tuple[FloatArr, FloatArr] | None = None,
    offer: Callable[[LPResult], object] | None = None,
    grid_price: FloatArr | None = None,
    stop: Callable[[], bool] | None = None,
    lps: dict[int, CarLP] | None = None,
) -> tuple[LPResult | None, str]:
    """The fixed LP with flexibility by column generation, started from the plan (c0, d0) of
    the LP without flexibility; the best master so far when `deadline` comes, and an account.
    `caps` (fu, fd per vehicle and slot): flexibility around the plan, a third start column;
    `offer` is handed the master's plan every few rounds (anytime: the caller checks it);
    `grid_price` (EUR/kWh per slot, the grid's marginal price at the plan) warm-starts the
    duals; `stop` ends the rounds early (the best master so far stands); `lps`: cars' LPs
    already built (by the local search), reused whatever prices they were built with."""
    t0 = time.perf_counter()

    def over() -> bool:
        return time.perf_counter() >= deadline - 0.02 or (stop is not None and stop())

    nv, n = len(scn.vehicles), arr.n
    trips = trips_by_vehicle(scn, assignment)
    zeros = np.zeros(n)
    cars: list[_Car] = []
    master = Master(arr, nv)
    for i in range(nv):  # (building is Python: one thread)
        if over():
            return None, "column generation: no time to build every car's LP"
        lp = (lps or {}).get(i) or CarLP(scn, arr, i, zeros)
        cars.append(_Car(lp, lp.bounds(trips[i])))

    def start(i: int, car: _Car) -> list[Column]:
        capped = None if caps is None else (caps[0][i], caps[1][i])
        kinds = [(False, None), (True, None)] + ([(True, capped)] if capped is not None else [])
        cols = [
            _fixed_column(car, c0[i], d0[i], f, deadline - time.perf_counter(), cap)
            for f, cap in kinds
        ]
        got = [col for col in cols if col is not None]
        if not got:  # the plan's power does not fit the car's LP (its margins): any schedule
            sol = car.lp.column(car.bounds, car.lp.base_obj, deadline - time.perf_counter())
            got = [] if sol is None else [car.read(sol)]
        return got

    for i, cols in enumerate(_each(cars, start, over)):
        if not cols:
            return None, f"column generation: no schedule of vehicle {scn.vehicles[i].id} in time"
        for col in cols:
            master.add(i, col)

    def pricing(y: FloatArr) -> Callable[[int, _Car], tuple[Column, float] | None]:
        w, a, b, _conv = master.prices(y)

        def price(i: int, car: _Car) -> tuple[Column, float] | None:
            cost = _priced_cost(car, w, a, b)
            sol = car.lp.column(car.bounds, cost, deadline - time.perf_counter())
            if sol is None:
                return None
            return car.read(sol), float(cost @ sol) + car.lp.model.const

        return price

    rounds, bound, best = 0, -np.inf, None
    center: FloatArr | None = None  # the duals of the best Lagrangian bound so far
    alpha = SMOOTHING
    if grid_price is not None:
        # a first pricing at estimated duals (a warm start of the duals): the grid's marginal
        # price per slot, and where flexibility around the plan was scaled down to the band,
        # the flexibility price (what one more kW of room there is worth)
        y0 = master.estimate(grid_price, c0 - d0, caps)
        first = _each(cars, pricing(y0), over)
        for i, item in enumerate(first):
            if item is not None:
                master.add(i, item[0])
        if all(item is not None for item in first):
            bound = master.lagrangian(y0, sum(item[1] for item in first if item is not None))
            center = y0
    why = "the deadline"
    while not over():
        solved = master.solve(deadline - time.perf_counter())
        if solved is None:
            why = "the deadline" if over() else "the master LP not solved in time"
            break
        lam, other, y, obj = solved
        best = (lam, master.given_back(other), obj)
        rounds += 1
        if offer is not None and rounds % OFFER_EVERY == 0:
            offer(master.result(lam, best[1], obj, time.perf_counter() - t0))
        # Wentges smoothing: price at a point between the best bound's duals and the master's
        ys = y if center is None or alpha <= 0 else master.valid(alpha * center + (1 - alpha) * y)
        out = master.prices(y)
        fresh = _each(cars, pricing(ys), over)
        added = 0
        for i, item in enumerate(fresh):
            if item is not None and master.reduced_cost(i, item[0], out) < -RC_TOL:
                master.add(i, item[0])
                added += 1
        if not all(item is not None for item in fresh):  # priced in part: no bound, no proof
            if over() or added == 0:
                why = "the deadline" if over() else "a car's LP left unsolved"
                break
            continue
        lagr = master.lagrangian(ys, sum(item[1] for item in fresh if item is not None))
        if lagr > bound:
            bound, center = lagr, ys
        if obj - bound <= GAP_TOL * max(1.0, abs(obj)):
            why = "converged"
            break
        if added == 0:
            if ys is y:
                why = "no column prices out: optimal"
                break
            alpha = 0.0  # a mispricing: the next round prices at the master's duals
        else:
            alpha = SMOOTHING
    if best is None:
        return None, "column generation: the master LP did not solve in time"
    lam, back, obj = best
    res = master.result(lam, back, obj, time.perf_counter() - t0)
    # OPTIMAL: the fixed LP's optimum (to GAP_TOL); else the best master when time ran out
    optimal = why in ("converged", "no column prices out: optimal")
    res.status = "OPTIMAL" if optimal else "TIME_LIMIT"
    gap = (
        f", {100 * (obj - bound) / max(1.0, abs(obj)):.2f} % above its Lagrangian bound"
        if np.isfinite(bound)
        else ""
    )
    return res, (
        f"LP with flexibility by column generation: {rounds} master round(s), "
        f"{len(master.cols)} columns, {time.perf_counter() - t0:.2f} s{gap}, ended by {why}"
    )


def flex_by_colgen(
    scn: Scenario,
    arr: Arrays,
    assignment: dict[str, str | None],
    res: LPResult,
    deadline: float,
    offer_plan: Callable[[Plan | None], tuple[str, CheckResult | None]],
    stop: Callable[[], bool] | None = None,
    lps: dict[int, CarLP] | None = None,
) -> tuple[str, str, bool]:
    """Column generation around the LP plan without flexibility `res` for `assignment`: each
    master plan is post-processed and handed to `offer_plan` (which checks it and says whether
    it is the best so far). Returns the stage's outcome, an account with the income offered,
    and whether the rounds reached the LP's optimum."""
    began = time.perf_counter()
    postprocess(scn, arr, dict(assignment), res)  # what an offer costs (and then a check)
    # the last master's plan is post-processed and checked by the deadline, not after it
    reserve = 5.0 * (time.perf_counter() - began) + 0.05
    trips = trips_by_vehicle(scn, assignment)
    plugged = plugged_mask(arr, trips)
    p0 = net_power(scn, arr, plugged, res, trips)
    caps = flex_around(scn, arr, p0, trips, plugged)
    outcomes: list[str] = []
    income: list[float] = []

    def offer(r: LPResult) -> None:
        plan, _notes = postprocess(scn, arr, dict(assignment), r)
        outcome, chk = offer_plan(plan)
        outcomes.append(outcome)
        if chk is not None and chk.valid:
            income.append(chk.terms.flex_income)

    result, how = colgen(
        scn,
        arr,
        dict(assignment),
        res.c,
        res.d,
        deadline - reserve,
        caps=caps,
        offer=offer,
        grid_price=grid_prices(arr, p0),
        stop=stop,
        lps=lps,
    )
    if result is not None:
        offer(result)
    outcome = "improved" if "improved" in outcomes else (outcomes[-1] if outcomes else "no plan")
    if income:
        how += f"; it offers {income[-1]:.2f} EUR of flexibility"
    return outcome, how, result is not None and result.status == "OPTIMAL"
