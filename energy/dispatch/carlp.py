"""One shared car's LP at fixed grid prices, kept warm in HiGHS: a set of trips is a bound change.

The local search (`improve.py`) prices thousands of trip sets per car. Building and solving each
sub-LP from scratch costs ~25 ms on a week; here the car's LP is built once *without trips* (by
`lp.build_and_solve`, so it is the very same model) and handed to HiGHS, and a trip set only
changes bounds, which dual simplex re-solves from the last basis (~10x faster on the week case):

* rule 3: no charge, discharge or flexibility in the slots [start, end) of a trip;
* the trip's energy leaves the battery at `start` (the right-hand side of that slot's balance);
* rule 5 is lifted inside the trip (and at a return exactly at the horizon's end);
* rule 6: the charge at `start` (activated all-up, with flexibility) meets the promise plus the
  LP's margin. Unlike `build_and_solve`, there is no promise slack: a trip set the car cannot
  serve is infeasible, and the search never takes it.
"""

from __future__ import annotations

from collections.abc import Iterable

import highspy
import numpy as np

from ._quiet import quiet_first_highs
from .core import MARGIN, Arrays, FloatArr
from .lp import build_and_solve
from .scenario import Booking, Scenario, trip_need_kwh


class CarLP:
    def __init__(self, scn: Scenario, arr: Arrays, i: int, prices: FloatArr) -> None:
        res = build_and_solve(
            scn,
            arr,
            "fixed",
            assignment={},
            grid_prices=prices,
            coupled=np.zeros(arr.n, dtype=bool),
            flex_coupled=np.zeros(arr.n, dtype=bool),
            only=[i],
            export=True,
        )
        assert res.exported is not None
        self.model = m = res.exported
        self.vehicle = scn.vehicles[i]
        self.n = arr.n
        self.loaded = (m.lb, m.ub, m.row_lo, m.row_hi)
        csc = m.matrix.tocsc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(m.lb), len(m.row_lo)
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = m.obj, m.lb, m.ub
        lp.row_lower_, lp.row_upper_ = m.row_lo, m.row_hi
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr
        lp.a_matrix_.index_ = csc.indices
        lp.a_matrix_.value_ = csc.data
        self.h = quiet_first_highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("threads", 1)
        self.h.passModel(lp)
        self.cost = np.asarray(m.obj, dtype=float).copy()
        # the objective without the grid prices (each car's own score terms: `colgen.py`)
        self.base_obj = self.cost.copy()
        gp = prices * arr.h
        for idx, sign in ((m.power[0][0], 1.0), (m.power[1][0], -1.0)):
            ok = idx >= 0
            self.base_obj[idx[ok]] -= sign * gp[ok]

    def bounds(self, trips: Iterable[Booking]) -> tuple[FloatArr, FloatArr, FloatArr, FloatArr]:
        """Column and row bounds of the car's LP with these trips."""
        m, v, n = self.model, self.vehicle, self.n
        lb, ub, rlo, rhi = m.lb.copy(), m.ub.copy(), m.row_lo.copy(), m.row_hi.copy()
        for b in trips:
            s, e = b.start_slot, b.end_slot
            for grid in m.power:
                idx = grid[0, s:e]
                ub[idx[idx >= 0]] = 0.0
            r = m.balance[0, s]
            if r >= 0:
                drop = b.expected_km * v.consumption_kwh_per_km
                rlo[r] -= drop
                rhi[r] -= drop
            inner = list(range(s + 1, e)) + ([n] if e == n else [])
            if inner:
                col = m.soc[0, inner]
                col = col[col >= 0]
                lb[col], ub[col] = -np.inf, np.inf
                if m.floor_row is not None:
                    rows = m.floor_row[0, inner]
                    rlo[rows[rows >= 0]] = -np.inf
                if m.cap_row is not None:
                    rows = m.cap_row[0, inner]
                    rhi[rows[rows >= 0]] = np.inf
            need = trip_need_kwh(v, b, n) + MARGIN
            col = m.soc[0, s]
            if col >= 0:
                lb[col] = max(lb[col], need)
            if m.floor_row is not None and m.floor_row[0, s] >= 0:
                r = m.floor_row[0, s]
                rlo[r] = max(rlo[r], need)
        return lb, ub, rlo, rhi

    def value(self, trips: Iterable[Booking], time_limit: float = 10.0) -> float:
        """The LP optimum (the spec's score terms of this car at fixed prices), inf if none."""
        self._load(*self.bounds(trips))
        # (HiGHS' time limit counts every run of this instance: its clock plus what is left)
        self.h.setOptionValue("time_limit", self.h.getRunTime() + max(0.1, time_limit))
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return np.inf
        return float(self.h.getInfo().objective_function_value) + self.model.const

    def _load(self, lb: FloatArr, ub: FloatArr, rlo: FloatArr, rhi: FloatArr) -> None:
        """Hand HiGHS the bounds that differ from the loaded ones (the basis stays warm)."""
        old_lb, old_ub, old_rlo, old_rhi = self.loaded
        col = np.flatnonzero((lb != old_lb) | (ub != old_ub)).astype(np.int32)
        if col.size:
            self.h.changeColsBounds(col.size, col, lb[col], ub[col])
        row = np.flatnonzero((rlo != old_rlo) | (rhi != old_rhi)).astype(np.int32)
        if row.size:
            self.h.changeRowsBounds(row.size, row, rlo[row], rhi[row])  # type: ignore[attr-defined]
        self.loaded = (lb, ub, rlo, rhi)

    def column(
        self,
        bounds: tuple[FloatArr, FloatArr, FloatArr, FloatArr],
        cost: FloatArr,
        time_limit: float,
    ) -> FloatArr | None:
        """The LP's solution vector with these bounds (`bounds(trips)`, perhaps narrowed) and
        column costs (the model's `obj` plus prices), None if not optimal (`colgen.py`)."""
        self._load(*bounds)
        changed = np.flatnonzero(cost != self.cost).astype(np.int32)
        if changed.size:
            self.h.changeColsCost(changed.size, changed, cost[changed])
            self.cost = cost.copy()
        self.h.setOptionValue("time_limit", self.h.getRunTime() + max(0.05, time_limit))
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(self.h.getSolution().col_value, dtype=float)
