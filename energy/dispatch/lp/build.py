"""`build_and_solve`: the dispatcher's LP, the relaxation (bound) and the exact MILP.

The model is assembled rule by rule (`rules.py`, `score.py`, rule 8 in `flex.py`) over the
index space of `layout.py`, in the order of `energy.dispatch.model`; then either handed over
unsolved (`export`, for `CarLP`) or solved, and the solution read back onto the (vehicle,
slot) grids.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from ..core import Arrays, FloatArr
from ..scenario import Scenario
from . import rules, score
from .builder import Builder, IntArr
from .flex import FlexColumns, add_flexibility
from .layout import Layout, layout
from .result import LPExport, LPResult


def build_and_solve(
    scn: Scenario,
    arr: Arrays,
    mode: str,
    *,
    assignment: dict[str, str | None] | None = None,
    time_limit: float = 60.0,
    solver: str = "highs",
    aggregate: bool = True,
    with_flex: bool = True,
    grid_prices: FloatArr | None = None,
    coupled: NDArray[np.bool_] | None = None,
    flex_coupled: NDArray[np.bool_] | None = None,
    only: list[int] | None = None,
    export: bool = False,
    pool_initial: int = 0,
) -> LPResult:
    """Build the LP/MILP of `mode` and solve it; see the package docstring for the modes.

    `grid_prices` (fixed mode): net power is priced per slot outside `coupled` (and rule 7
    under activation checked afterwards outside `flex_coupled`) instead of the grid rows.
    `only` (fixed mode): a sub-LP over these vehicles alone, without the unserved penalty.
    `export` (fixed mode, one vehicle in `only`, no trips): return the assembled model and its
    index grids in `exported` instead of solving (`CarLP` keeps it warm in HiGHS).
    `pool_initial` (relaxed mode): pool shared cars that differ only in initial charge into at
    most that many classes per model (`layout.vehicle_classes`): a smaller, weaker relaxation.
    """
    t0 = time.perf_counter()
    n = arr.n
    lay = layout(
        scn,
        arr,
        mode,
        assignment=assignment,
        aggregate=aggregate,
        only=only,
        pool_initial=pool_initial if mode == "relaxed" else 0,
    )
    fixed = lay.fixed
    B = Builder()

    charge, discharge = rules.charge_discharge(B, lay)
    soc = rules.state_of_charge(B, lay)
    x = rules.assignment_shares(B, lay, integer=mode == "integer")
    sums = rules.trip_sums(B, lay, x)
    if sums is not None:
        rules.away_power(B, lay, charge, discharge, sums)
    away = None if sums is None else sums.away
    floor_drop = None if sums is None else sums.floor_drop
    balance = rules.battery_balance(B, lay, soc, charge, discharge, x)
    bounds = rules.charge_bounds(B, lay, soc, floor_drop)
    promised, slack_of = rules.promises(B, lay, soc, x)
    penalty = scn.shortfall_penalty_eur_per_kwh
    private = rules.private_shortfall(B, lay, soc, penalty)
    if fixed:
        if private.classes:
            score.fairness(B, private.shortfall, penalty)
        score.likely_departure(B, lay, soc, private.classes, penalty)
        score.early_charging(B, lay, charge)

    priced = grid_prices is not None and fixed
    on = np.ones(n, dtype=bool) if not priced or coupled is None else coupled
    on_flex = np.ones(n, dtype=bool) if not priced or flex_coupled is None else flex_coupled
    if priced:
        assert grid_prices is not None
        score.grid_prices_outside(B, lay, charge, discharge, grid_prices, on)
    grid_rows = score.grid_connection(B, lay, arr, charge, discharge, on)
    slack_above = slack_below = None
    if fixed:
        slack_above, slack_below = score.band_slack(B, lay, grid_rows, on)
    score.wear(B, lay, arr, discharge, scn.degradation_eur_per_kwh)

    flex: FlexColumns | None = None
    if arr.up is not None and arr.down is not None and with_flex:
        flex = add_flexibility(
            B,
            arr,
            lay,
            charge=charge,
            discharge=discharge,
            soc=soc,
            x=x,
            away=away,
            floor_drop=floor_drop,
            coupled=on_flex,
            bounds=bounds,
            promised=promised,
            private=private,
        )

    const = score.terminal_value(B, lay, soc, floor_drop, scn.terminal_value_eur_per_kwh)
    const += score.unserved(B, lay, scn, x, assignment, sub_lp=only is not None)

    if export:
        col_lo, col_hi, cost, row_lo, row_hi, matrix = B.assemble()
        res = LPResult(status="EXPORTED", solver=solver, seconds=0.0, objective=None, bound=None)
        power = [charge, discharge] + ([flex.up, flex.down] if flex is not None else [])
        res.exported = LPExport(
            lb=col_lo,
            ub=col_hi,
            obj=cost,
            row_lo=row_lo,
            row_hi=row_hi,
            matrix=matrix,
            const=const,
            power=power,
            soc=soc,
            balance=balance,
            floor_row=None if flex is None else flex.floor_row,
            cap_row=None if flex is None else flex.cap_row,
        )
        return res

    build_s = time.perf_counter() - t0
    # The relaxation only needs its optimal value (a bound): HiGHS' interior point without
    # crossover is several times faster there than simplex on the x-coupled LP.
    params = ""
    if solver == "highs":
        # the fixed LP: dual simplex measured fastest on the week case (2-4x HiGHS' default)
        params = "solver ipm\nrun_crossover off" if mode == "relaxed" else "simplex_strategy 1"
        if mode == "integer":
            params = ""
    if solver == "highs" and mode == "fixed" and flex is not None:
        # with flexibility, the fixed LP is sometimes 4x faster by interior point, sometimes
        # 3x slower: both at once, the first optimum wins (`Builder.solve_portfolio`)
        status, obj, best, sol, duals = B.solve_portfolio(
            solver, time_limit - build_s, (params, "solver ipm")
        )
    else:
        status, obj, best, sol, duals = B.solve(solver, time_limit - build_s, params)
    res = LPResult(
        status=status,
        solver=solver,
        seconds=time.perf_counter() - t0,
        objective=None if obj is None else obj + const,
        bound=None if best is None else best + const,
        variables=B.nvar,
        constraints=B.nrow,
    )
    if sol is None:
        return res
    if duals is not None and fixed and len(duals) == B.nrow:
        res.grid_dual = np.where(grid_rows >= 0, duals[np.maximum(grid_rows, 0)], np.nan)
    _read_solution(res, scn, lay, sol, mode, charge, discharge, flex, x)
    res.promise_slack = {bid: float(sol[i]) for bid, i in slack_of.items()}
    if slack_above is not None and slack_below is not None:
        res.band_slack = _value(sol, slack_above) + _value(sol, slack_below)
        res.grid_slack = float(res.band_slack.sum())
    return res


def _value(sol: FloatArr, idx: IntArr) -> FloatArr:
    """The solution on an index grid (0 where a cell has no column)."""
    out: FloatArr = np.where(idx >= 0, sol[np.maximum(idx, 0)], 0.0)
    return out


def _read_solution(
    res: LPResult,
    scn: Scenario,
    lay: Layout,
    sol: FloatArr,
    mode: str,
    charge: IntArr,
    discharge: IntArr,
    flex: FlexColumns | None,
    x: IntArr,
) -> None:
    """Power and flexibility per (vehicle, slot); the shares x and (MILP) the assignment."""
    res.c = np.maximum(0.0, _value(sol, charge))
    res.d = np.maximum(0.0, _value(sol, discharge))
    if flex is not None:
        res.fu = np.maximum(0.0, _value(sol, flex.up))
        res.fd = np.maximum(0.0, _value(sol, flex.down))
    vs = scn.vehicles
    for q, (j, c) in enumerate(lay.pairs):
        xv = float(sol[x[q]])
        if xv > 1e-6:
            for mem in lay.classes[c].members:
                res.x_share.setdefault(lay.free[j].id, {})[vs[mem].id] = xv / lay.k[c]
    if mode == "integer":
        res.assignment = {b.id: b.vehicle for b in scn.bookings}
        for q, (j, c) in enumerate(lay.pairs):
            if sol[x[q]] > 0.5:
                res.assignment[lay.free[j].id] = vs[lay.classes[c].members[0]].id
