"""The master LP of the column generation (`colgen.py`): the grid rows of every slot, the
convexity row of every car, and the duals that price the cars' LPs."""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from ._quiet import quiet_first_highs
from .core import MARGIN, Arrays, FloatArr
from .lp import LPResult, fixed_prices
from .lp.result import GRID_SLACK_EUR


@dataclass
class Column:
    c: FloatArr
    d: FloatArr
    fu: FloatArr
    fd: FloatArr
    cost: float  # the car's own score terms (EUR), without the grid


class Master:
    """The master LP. Rows: per slot the grid (net = base + sum p, met by import, export and PV
    within the limits); the activation rows (all-up, all-down) where a flexibility price is
    offered; per such slot a cap on the flexibility given back; one convexity row per car.
    Columns: lambda per car column; import, export, PV used and priced slacks per slot; and
    per slot the flexibility given back (R_up, R_down <= the fleet's fu, fd there), which scales
    every car's fu (fd) in that slot down alike: valid, since less flexibility only lowers the
    activation effects (`flexaround.py`), so the master need not mix columns to shed it."""

    def __init__(self, arr: Arrays, nv: int) -> None:
        n, h = arr.n, arr.h
        self.arr, self.n, self.nv = arr, n, nv
        self.up = np.flatnonzero(arr.up > 0) if arr.up is not None else np.zeros(0, dtype=int)
        self.dn = np.flatnonzero(arr.down > 0) if arr.down is not None else np.zeros(0, dtype=int)
        nu, nd = len(self.up), len(self.dn)
        # row offsets: net, up, down, cap up, cap down, convexity
        self.r_up, self.r_dn = n, n + nu
        self.r_cu, self.r_cd = n + nu + nd, n + 2 * nu + nd
        self.r_conv = n + 2 * nu + 2 * nd
        self.nrow = self.r_conv + nv
        imp_p, exp_p = fixed_prices(arr)
        gm = np.minimum(MARGIN, np.maximum(0.0, arr.imp_lim + arr.exp_lim) / 3.0)
        t = np.arange(n)
        inf = np.full(n, np.inf)
        slack = np.full(n, GRID_SLACK_EUR)
        zero = np.zeros(n)
        # columns outside lambda: (lower, upper, cost, first row, its coefficient, second row
        # (-1: none), its coefficient)
        blocks = [
            (
                np.maximum(0.0, -arr.exp_lim + gm),
                np.maximum(0.0, arr.imp_lim - gm),
                imp_p * h,
                t,
                1.0,
            ),
            (
                np.maximum(0.0, -arr.imp_lim + gm),
                np.maximum(0.0, arr.exp_lim - gm),
                -exp_p * h,
                t,
                -1.0,
            ),
            (zero, arr.pv.astype(float), zero, t, 1.0),
            (zero, inf, slack, t, 1.0),
            (zero, inf, slack, t, -1.0),
            (
                np.zeros(nu),
                np.full(nu, np.inf),
                np.full(nu, GRID_SLACK_EUR),
                self.r_up + np.arange(nu),
                1.0,
            ),
            (
                np.zeros(nd),
                np.full(nd, np.inf),
                np.full(nd, GRID_SLACK_EUR),
                self.r_dn + np.arange(nd),
                -1.0,
            ),
        ]
        lo, hi, cost, row1, cf1, row2, cf2 = [], [], [], [], [], [], []
        for b_lo, b_hi, b_cost, rows, cf in blocks:
            lo.append(b_lo)
            hi.append(b_hi)
            cost.append(b_cost)
            row1.append(rows)
            cf1.append(np.full(len(rows), cf))
            row2.append(np.full(len(rows), -1))
            cf2.append(np.zeros(len(rows)))
        up_price = arr.up[self.up] if arr.up is not None else np.zeros(0)
        dn_price = arr.down[self.dn] if arr.down is not None else np.zeros(0)
        # flexibility given back: up (adds to the all-up row), down (takes from the all-down)
        # (bounded by the whole fleet's range, so that the Lagrangian stays finite)
        most = float(np.sum(arr.cmax + arr.dmax))
        for count, price, r_act, cf, r_cap in (
            (nu, up_price, self.r_up, 1.0, self.r_cu),
            (nd, dn_price, self.r_dn, -1.0, self.r_cd),
        ):
            lo.append(np.zeros(count))
            hi.append(np.full(count, most))
            cost.append(np.asarray(price, dtype=float))
            row1.append(r_act + np.arange(count))
            cf1.append(np.full(count, cf))
            row2.append(r_cap + np.arange(count))
            cf2.append(np.ones(count))
        self.g_lo, self.g_hi, self.g_cost = map(np.concatenate, (lo, hi, cost))
        self.g_row1, self.g_cf1 = np.concatenate(row1), np.concatenate(cf1)
        self.g_row2, self.g_cf2 = np.concatenate(row2), np.concatenate(cf2)
        self.owner: list[int] = []  # the car of each lambda column, in the order added
        self.cols: list[Column] = []
        self.loaded = 0  # columns handed to HiGHS so far
        self.h: highspy.Highs | None = None
        base = arr.base.astype(float)
        self.row_lo = np.concatenate(
            [
                base,
                (-arr.exp_lim - arr.base + MARGIN)[self.up],
                np.full(nd + nu + nd, -np.inf),
                np.ones(nv),
            ]
        )
        self.row_hi = np.concatenate(
            [
                base,
                np.full(nu, np.inf),
                (arr.imp_lim - arr.base + arr.pv - MARGIN)[self.dn],
                np.zeros(nu + nd),
                np.ones(nv),
            ]
        )

    def entries(self, i: int, col: Column) -> tuple[np.ndarray, np.ndarray]:
        p = col.c - col.d
        n, nu, nd = self.n, len(self.up), len(self.dn)
        rows = np.concatenate(
            [
                np.arange(n),
                self.r_up + np.arange(nu),
                self.r_dn + np.arange(nd),
                self.r_cu + np.arange(nu),
                self.r_cd + np.arange(nd),
                [self.r_conv + i],
            ]
        )
        vals = np.concatenate(
            [
                -p,
                (p - col.fu)[self.up],
                (p + col.fd)[self.dn],
                -col.fu[self.up],
                -col.fd[self.dn],
                [1.0],
            ]
        )
        keep = vals != 0
        return rows[keep], vals[keep]

    def add(self, i: int, col: Column) -> None:
        """A column of car i, in the master from the next `solve` on."""
        self.owner.append(i)
        self.cols.append(col)

    def solve(self, left: float) -> tuple[FloatArr, FloatArr, FloatArr, float] | None:
        """(lambda per column added so far, the other columns, row duals, objective), None if
        the master is not solved to optimality. The model stays in HiGHS: new columns are
        added to it and simplex goes on from the last basis."""
        new = self.cols[self.loaded :]
        starts, index, value = [0], [], []
        for k, col in enumerate(new):
            r, v = self.entries(self.owner[self.loaded + k], col)
            index.append(r)
            value.append(v)
            starts.append(starts[-1] + len(r))
        costs = np.array([col.cost for col in new], dtype=float)
        if self.h is None:
            self.h = self._build()
        if new:
            self.h.addCols(
                len(new),
                costs,
                np.zeros(len(new)),
                np.full(len(new), np.inf),
                int(starts[-1]),
                np.array(starts[:-1], dtype=np.int32),
                np.concatenate(index).astype(np.int32),
                np.concatenate(value).astype(float),
            )
        self.loaded = len(self.cols)
        # (HiGHS' time limit counts every run of this instance: the clock so far plus what is left)
        self.h.setOptionValue("time_limit", self.h.getRunTime() + max(0.05, left))
        self.h.run()
        # the first master from scratch by HiGHS' default (dual simplex: 0.07 s on af, primal
        # 0.3); after that new columns leave the basis primal feasible, and primal simplex goes
        # on from it (0.02-0.09 s a round against 0.2: 13 rounds in 3 s where dual gave 8)
        self.h.setOptionValue("simplex_strategy", 4)
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        sol = self.h.getSolution()
        x = np.asarray(sol.col_value, dtype=float)
        g = len(self.g_lo)
        obj = float(self.h.getInfo().objective_function_value)
        return x[g:], x[:g], np.asarray(sol.row_dual, dtype=float), obj

    def _build(self) -> highspy.Highs:
        """The master with its grid columns only (the lambda columns are added)."""
        starts, index, value = [0], [], []
        two = self.g_row2 >= 0
        for k in range(len(self.g_lo)):
            if two[k]:
                index.append(np.array([self.g_row1[k], self.g_row2[k]]))
                value.append(np.array([self.g_cf1[k], self.g_cf2[k]]))
            else:
                index.append(self.g_row1[k : k + 1])
                value.append(self.g_cf1[k : k + 1])
            starts.append(starts[-1] + len(index[-1]))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(starts) - 1, self.nrow
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = self.g_cost, self.g_lo, self.g_hi
        lp.row_lower_, lp.row_upper_ = self.row_lo, self.row_hi
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.concatenate(index).astype(np.int32)
        lp.a_matrix_.value_ = np.concatenate(value).astype(float)
        h = quiet_first_highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.passModel(lp)
        return h

    def result(
        self, lam: FloatArr, back: tuple[FloatArr, FloatArr], obj: float, seconds: float
    ) -> LPResult:
        """The master's convex combinations as an LP result (c, d, fu, fd per vehicle and
        slot), with the flexibility given back taken off every car's alike, slot by slot."""
        out = {k: np.zeros((self.nv, self.n)) for k in ("c", "d", "fu", "fd")}
        for j in np.flatnonzero(lam > 0):
            col, i, weight = self.cols[j], self.owner[j], float(lam[j])
            out["c"][i] += weight * col.c
            out["d"][i] += weight * col.d
            out["fu"][i] += weight * col.fu
            out["fd"][i] += weight * col.fd
        for key, r in (("fu", back[0]), ("fd", back[1])):
            total = out[key].sum(axis=0)
            keep = np.where(total > 1e-12, np.clip(1 - r / np.maximum(total, 1e-12), 0, 1), 0.0)
            out[key] *= keep[None, :]
        res = LPResult(status="OPTIMAL", solver="highs", seconds=seconds, objective=obj, bound=None)
        res.c, res.d, res.fu, res.fd = out["c"], out["d"], out["fu"], out["fd"]
        return res

    def given_back(self, other: FloatArr) -> tuple[FloatArr, FloatArr]:
        """R_up and R_down per slot (kW) from the master's non-lambda columns."""
        n, nu, nd = self.n, len(self.up), len(self.dn)
        back = other[5 * n + nu + nd :]
        r_up, r_dn = np.zeros(n), np.zeros(n)
        r_up[self.up] = back[:nu]
        r_dn[self.dn] = back[nu : nu + nd]
        return r_up, r_dn

    def estimate(
        self, grid_price: FloatArr, p0: FloatArr, caps: tuple[FloatArr, FloatArr] | None
    ) -> FloatArr:
        """Estimated duals: the net rows at the grid's price (per kW and slot), an activation
        row at the flexibility price where the plan's flexibility fills it."""
        arr, n = self.arr, self.n
        y = np.zeros(self.nrow)
        y[:n] = grid_price * arr.h
        if caps is not None and arr.up is not None and arr.down is not None:
            total = p0.sum(axis=0)
            fu, fd = caps[0].sum(axis=0), caps[1].sum(axis=0)
            room_u = arr.base + total + arr.exp_lim
            room_d = arr.imp_lim - arr.base + arr.pv - total
            full_u = fu >= 0.99 * room_u
            full_d = fd >= 0.99 * room_d
            y[self.r_up : self.r_dn] = np.where(full_u, arr.up, 0.0)[self.up]
            y[self.r_dn : self.r_cu] = -np.where(full_d, arr.down, 0.0)[self.dn]
        return y

    def valid(self, y: FloatArr) -> FloatArr:
        """The duals with the inequality rows' signs kept (>= 0 on >= rows, <= 0 on <=)."""
        out = y.copy()
        out[self.r_up : self.r_dn] = np.maximum(0.0, out[self.r_up : self.r_dn])
        out[self.r_dn : self.r_conv] = np.minimum(0.0, out[self.r_dn : self.r_conv])
        return out

    def prices(self, y: FloatArr) -> tuple[FloatArr, FloatArr, FloatArr, FloatArr]:
        """(w, a, b, convexity duals): what a car's LP pays per kW of net power, fu and fd."""
        n = self.n
        y_up, y_dn, y_cu, y_cd = (np.zeros(n) for _ in range(4))
        y_up[self.up] = y[self.r_up : self.r_dn]
        y_dn[self.dn] = y[self.r_dn : self.r_cu]
        y_cu[self.up] = y[self.r_cu : self.r_cd]
        y_cd[self.dn] = y[self.r_cd : self.r_conv]
        w = y[:n] - y_up - y_dn
        return w, y_up + y_cu, -y_dn + y_cd, y[self.r_conv :]

    def reduced_cost(self, i: int, col: Column, priced: tuple[FloatArr, ...]) -> float:
        w, a, b, conv = priced
        return float(col.cost + w @ (col.c - col.d) + a @ col.fu + b @ col.fd - conv[i])

    def lagrangian(self, y: FloatArr, cars_value: float) -> float:
        """The Lagrangian bound at duals y of the coupling rows, given the sum over cars of
        their priced LP optima: a lower bound of the fixed LP with flexibility."""
        rows = y[: self.r_conv]
        lo, hi = self.row_lo[: self.r_conv], self.row_hi[: self.r_conv]
        rhs = np.where(np.isfinite(lo), lo, np.where(np.isfinite(hi), hi, 0.0))
        second = np.where(self.g_row2 >= 0, y[np.maximum(self.g_row2, 0)] * self.g_cf2, 0.0)
        rc = self.g_cost - y[self.g_row1] * self.g_cf1 - second
        with np.errstate(invalid="ignore"):
            grid = np.where(rc >= 0, rc * self.g_lo, rc * self.g_hi)
        return float(rows @ rhs + cars_value + np.sum(np.nan_to_num(grid, nan=0.0)))
