"""The fixed LP by row generation on the grid rows: exact, and fast when they rarely bind.

Vehicles are coupled only by the grid (rule 7, and rule 7 under activation for rule 8) and by the
fairness term. Write the fixed LP as `min sum_v f_v(x_v) + sum_t g_t(y_t)` with
`y_t = base_t + sum_v p_v,t` and `g_t(y) = h * min { cost_t(net) : net in [y - pv_t, y] within the
limits }`, convex (import price >= export price in the fixed LP) and +inf outside its domain.
Replacing `g_t` by a price `pi_t * (y_t - base_t)` in the slots outside a set S gives the
*partial* LP. If its optimum x* has `pi_t` in the subdifferential of `g_t` at `y*_t` for every
t outside S (so y*_t lies in g_t's domain: the grid limits hold there) and the activation rows left
out hold at x*, then x* is optimal for the full LP: for every feasible x,
`full(x) >= partial(x) + sum_t (g_t(y*_t) - pi_t (y*_t - base_t)) >= full(x*)` (the subgradient
inequality, then optimality of x* in the partial LP). Otherwise the failing slots join S and the
partial LP is solved again; after `ROUNDS` rounds (or on a near time limit) the full LP decides.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from .core import MARGIN, Arrays, BoolArr, FloatArr
from .lp import LPResult, build_and_solve, fixed_prices
from .scenario import Scenario

ROUNDS = 6
# grid rows kept in more than this share of the slots: solve the full LP at once (on `af`, 124
# cars with flexibility, they bind in 91 of 96 slots: five rounds took 39 s, the full LP 8)
FULL_SHARE = 0.5
SLOPE_STEP = 1e-4  # kW: finite-difference step for the one-sided slopes of g_t
SLOPE_TOL = 1e-7  # EUR/kWh


def grid_cost(arr: Arrays, y: FloatArr) -> FloatArr:
    """g_t(y_t) of the fixed LP per slot (EUR); +inf where no PV use keeps net within limits."""
    imp_p, exp_p = fixed_prices(arr)
    hi_lim = arr.imp_lim - MARGIN
    lo_lim = -(arr.exp_lim - MARGIN)
    lo = np.maximum(y - arr.pv, lo_lim)
    hi = np.minimum(y, hi_lim)
    # cost(net) is convex with slopes exp_p (net < 0) and imp_p (net > 0): its minimiser over
    # [lo, hi] is the point of that interval closest to where it stops decreasing
    best = np.where(exp_p >= 0, lo, np.where(imp_p <= 0, hi, np.clip(0.0, lo, hi)))
    cost = arr.h * np.where(best >= 0, imp_p * best, exp_p * best)
    out: FloatArr = np.where(lo <= hi + 1e-12, cost, np.inf)
    return out


def _initial_prices(arr: Arrays) -> FloatArr:
    """Slope of g_t at the base load (vehicles idle), or the import price outside its domain."""
    y = arr.base.astype(float)
    with np.errstate(invalid="ignore"):
        right = (grid_cost(arr, y + SLOPE_STEP) - grid_cost(arr, y)) / (arr.h * SLOPE_STEP)
    imp_p, _ = fixed_prices(arr)
    out: FloatArr = np.where(np.isfinite(right), right, imp_p)
    return out


def _certified(arr: Arrays, y: FloatArr, pi: FloatArr) -> BoolArr:
    """pi_t lies in the subdifferential of g_t at y_t (finite one-sided slopes around it)."""
    with np.errstate(invalid="ignore"):
        g = grid_cost(arr, y)
        right = (grid_cost(arr, y + SLOPE_STEP) - g) / (arr.h * SLOPE_STEP)
        left = (g - grid_cost(arr, y - SLOPE_STEP)) / (arr.h * SLOPE_STEP)
        ok: BoolArr = (
            np.isfinite(g)
            & np.isfinite(left)
            & np.isfinite(right)
            & (left <= pi + SLOPE_TOL)
            & (pi <= right + SLOPE_TOL)
        )
    return ok


def _widen(mask: BoolArr) -> BoolArr:
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    return out


def solve_fixed(
    scn: Scenario,
    arr: Arrays,
    assignment: dict[str, str | None],
    *,
    time_limit: float,
    solver: str = "highs",
    with_flex: bool = True,
    hint: FloatArr | None = None,
    stop: Callable[[], bool] | None = None,
) -> tuple[LPResult, str]:
    """The fixed LP's optimum (same result as `build_and_solve(..., "fixed")`) and a note.

    `hint`: an earlier plan's power (e.g. the LP without flexibility); slots where its grid row
    is near a limit or not certified start in S, which saves rounds. It never changes the result.
    `stop` (checked before each solve): give up, returning a result without an optimum.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    n = arr.n
    pi = _initial_prices(arr)
    coupled: BoolArr = np.zeros(n, dtype=bool)
    flex_coupled: BoolArr = np.zeros(n, dtype=bool)
    flex = with_flex and arr.up is not None
    if hint is not None:
        y = arr.base + hint.sum(axis=0)
        coupled = ~_certified(arr, y, pi)
        near = 0.05 * np.maximum(np.maximum(np.abs(arr.imp_lim), np.abs(arr.exp_lim)), 1.0)
        coupled |= (y - arr.pv < -arr.exp_lim + near) | (y > arr.imp_lim - near)
        coupled = _widen(coupled)
    for rnd in range(ROUNDS):
        if stop is not None and stop():
            break
        remaining = deadline - time.perf_counter()
        if remaining < 1.0 or coupled.mean() > FULL_SHARE:
            break  # (grid rows in most slots: the partial LP is the full LP, solved again)
        res = build_and_solve(
            scn,
            arr,
            "fixed",
            assignment=assignment,
            time_limit=remaining * 0.45,
            solver=solver,
            with_flex=with_flex,
            grid_prices=pi,
            coupled=coupled,
            flex_coupled=flex_coupled,
        )
        if res.objective is None or res.status != "OPTIMAL":
            break
        p = res.c - res.d
        y = arr.base + p.sum(axis=0)
        g = grid_cost(arr, y)
        bad = ~coupled & ~_certified(arr, y, pi)
        bad_f = np.zeros(n, dtype=bool)
        if flex and res.fu.size:
            up = y - res.fu.sum(axis=0)  # all-up, no PV used
            down = y - arr.pv + res.fd.sum(axis=0)  # all-down, all PV used
            bad_f = ~flex_coupled & (
                (up < -arr.exp_lim + MARGIN * 0.5) | (down > arr.imp_lim - MARGIN * 0.5)
            )
        if not bad.any() and not bad_f.any():
            free = ~coupled
            assert res.objective is not None
            res.objective += float(np.sum(g[free] - arr.h * pi[free] * (y[free] - arr.base[free])))
            res.seconds = time.perf_counter() - t0
            return res, (
                f"LP by row generation: {rnd + 1} round(s), grid rows kept in "
                f"{int(coupled.sum())} of {n} slots"
            )
        # a slot whose grid row binds is likely to bind its neighbours as well
        coupled |= _widen(bad)
        flex_coupled |= _widen(bad_f)
    remaining = deadline - time.perf_counter()
    if stop is not None and stop():
        return LPResult("STOPPED", solver, time.perf_counter() - t0, None, None), "LP: stopped"
    res = build_and_solve(
        scn,
        arr,
        "fixed",
        assignment=assignment,
        time_limit=remaining,
        solver=solver,
        with_flex=with_flex,
    )
    res.seconds = time.perf_counter() - t0
    return res, "LP: row generation did not settle, full LP solved"
