"""Step 2 of the decomposition: one sparse linear programme for power, charge, grid and flexibility.

The same builder serves three purposes (see the package docstring for the full model):

``fixed``    the assignment is data; this is the dispatcher's LP (HiGHS, else GLOP/PDLP).
``relaxed``  x[booking, vehicle class] in [0, 1]: the LP relaxation of the whole problem, a valid
             lower bound on any plan's score (used by the benchmark's captured share).
``integer``  x binary, one class per vehicle: the exact MILP used by the tests on tiny instances.

Variables live on dense (vehicle, slot) grids and the matrix is assembled from numpy index
arrays into one `scipy.sparse.csr_matrix`, then handed to OR-Tools' model builder in one call
(`fill_model_from_sparse_data`): building 500 000 variables costs well under a second.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from ortools.linear_solver.python import model_builder_helper as mbh

from .core import MARGIN, Arrays, FloatArr, checked_boundaries, private_target
from .scenario import Booking, Scenario, Vehicle, trip_need_kwh

IntArr = NDArray[np.int64]
INF = np.inf
# Cost per kWh of a missed promise in the fixed-assignment LP: far above any energy price, so the
# LP keeps every promise it can, and a positive slack marks a booking the grid cannot feed.
PROMISE_SLACK_EUR = 1.0e4
GRID_SLACK_EUR = 1.0e4
FAIRNESS_SHARE = 0.01


class _Builder:
    """Collects columns and COO triplets; every method takes numpy arrays."""

    def __init__(self) -> None:
        self.lb: list[FloatArr] = []
        self.ub: list[FloatArr] = []
        self.obj: list[FloatArr] = []
        self.nvar = 0
        self.r: list[IntArr] = []
        self.c: list[IntArr] = []
        self.v: list[FloatArr] = []
        self.rlo: list[FloatArr] = []
        self.rhi: list[FloatArr] = []
        self.nrow = 0
        self.integer: list[IntArr] = []
        self.over_lb: list[tuple[IntArr, FloatArr]] = []
        self.over_ub: list[tuple[IntArr, FloatArr]] = []
        self.over_obj: list[tuple[IntArr, FloatArr]] = []

    def var(
        self,
        shape: tuple[int, ...],
        lb: float | FloatArr,
        ub: float | FloatArr,
        obj: float | FloatArr = 0.0,
        active: NDArray[np.bool_] | None = None,
    ) -> IntArr:
        """Columns for the `active` cells of `shape`; inactive cells get index -1 (value 0)."""
        act = np.ones(shape, dtype=bool) if active is None else np.broadcast_to(active, shape)
        size = int(act.sum())
        idx = np.full(shape, -1, dtype=np.int64)
        idx[act] = np.arange(self.nvar, self.nvar + size, dtype=np.int64)
        for store, val in ((self.lb, lb), (self.ub, ub), (self.obj, obj)):
            store.append(np.broadcast_to(np.asarray(val, dtype=float), shape)[act].copy())
        self.nvar += size
        return idx

    def set_bounds(self, idx: IntArr, lb: float | FloatArr, ub: float | FloatArr) -> None:
        self.over_lb.append((idx.ravel(), np.broadcast_to(lb, idx.shape).ravel()))
        self.over_ub.append((idx.ravel(), np.broadcast_to(ub, idx.shape).ravel()))

    def add_obj(self, idx: IntArr, value: float | FloatArr) -> None:
        self.over_obj.append((idx.ravel(), np.broadcast_to(value, idx.shape).ravel()))

    def rows(self, count: int, lo: float | FloatArr, hi: float | FloatArr) -> IntArr:
        idx = np.arange(self.nrow, self.nrow + count, dtype=np.int64)
        self.rlo.append(np.broadcast_to(np.asarray(lo, dtype=float), (count,)).copy())
        self.rhi.append(np.broadcast_to(np.asarray(hi, dtype=float), (count,)).copy())
        self.nrow += count
        return idx

    def rows_on(
        self, active: NDArray[np.bool_], lo: float | FloatArr, hi: float | FloatArr
    ) -> IntArr:
        """Rows for the active cells of a grid; -1 elsewhere (coefficients there are dropped)."""
        idx = np.full(active.shape, -1, dtype=np.int64)
        idx[active] = self.rows(
            int(active.sum()),
            np.broadcast_to(np.asarray(lo, dtype=float), active.shape)[active],
            np.broadcast_to(np.asarray(hi, dtype=float), active.shape)[active],
        )
        return idx

    def coef(self, r: IntArr | int, c: IntArr | int, v: float | FloatArr) -> None:
        rr, cc, vv = np.broadcast_arrays(
            np.asarray(r, dtype=np.int64), np.asarray(c, dtype=np.int64), np.asarray(v, dtype=float)
        )
        keep = (cc >= 0) & (rr >= 0)  # an inactive column is a variable fixed at 0
        self.r.append(rr[keep])
        self.c.append(cc[keep])
        self.v.append(vv[keep])

    def solve(
        self, solver: str, time_limit: float, params: str = ""
    ) -> tuple[str, float | None, float | None, FloatArr | None, FloatArr | None]:
        lb = np.concatenate(self.lb)
        ub = np.concatenate(self.ub)
        obj = np.concatenate(self.obj)
        for i, val in self.over_lb:
            m = i >= 0
            lb[i[m]] = val[m]
        for i, val in self.over_ub:
            m = i >= 0
            ub[i[m]] = val[m]
        for i, val in self.over_obj:
            m = i >= 0
            np.add.at(obj, i[m], val[m])
        rlo = np.concatenate(self.rlo) if self.rlo else np.zeros(0)
        rhi = np.concatenate(self.rhi) if self.rhi else np.zeros(0)
        r = np.concatenate(self.r) if self.r else np.zeros(0, dtype=np.int64)
        c = np.concatenate(self.c) if self.c else np.zeros(0, dtype=np.int64)
        v = np.concatenate(self.v) if self.v else np.zeros(0)
        keep = v != 0.0
        mat = sp.csr_matrix((v[keep], (r[keep], c[keep])), shape=(self.nrow, self.nvar))
        mat.sum_duplicates()
        mat.data[np.abs(mat.data) < 1e-12] = 0.0  # cancellations, e.g. -eta h + eta h
        mat.eliminate_zeros()
        model = mbh.ModelBuilderHelper()
        model.fill_model_from_sparse_data(lb, ub, obj, rlo, rhi, mat)  # type: ignore[arg-type]
        for block in self.integer:
            for col in block.ravel():
                model.set_var_integrality(int(col), True)
        sol = mbh.ModelSolverHelper(solver)
        sol.enable_output(bool(os.environ.get("DISPATCH_SOLVER_LOG")))
        params = os.environ.get("DISPATCH_SOLVER_PARAMS", params).replace(";", "\n")
        if params:
            sol.set_solver_specific_parameters(params)
        sol.set_time_limit_in_seconds(max(0.5, time_limit))
        sol.solve(model)
        status = sol.status().name
        if not sol.has_solution():
            return status, None, None, None, None
        bound: float | None
        try:
            bound = float(sol.best_objective_bound())
        except Exception:
            bound = None
        duals: FloatArr | None
        try:
            # OR-Tools 9.15's HiGHS wrapper returns row activities as duals: GLOP only
            duals = np.asarray(sol.dual_values()) if solver == "glop" and not self.integer else None
        except Exception:
            duals = None
        return (
            status,
            float(sol.objective_value()),
            bound,
            np.asarray(sol.variable_values()),
            duals,
        )


@dataclass
class LPResult:
    status: str
    solver: str
    seconds: float
    objective: float | None  # includes the constant terms: comparable to the spec's score
    bound: float | None
    c: FloatArr = field(default_factory=lambda: np.zeros((0, 0)))
    d: FloatArr = field(default_factory=lambda: np.zeros((0, 0)))
    fu: FloatArr = field(default_factory=lambda: np.zeros((0, 0)))
    fd: FloatArr = field(default_factory=lambda: np.zeros((0, 0)))
    promise_slack: dict[str, float] = field(default_factory=dict)
    grid_slack: float = 0.0
    assignment: dict[str, str | None] = field(default_factory=dict)
    variables: int = 0
    constraints: int = 0
    # fixed mode: marginal cost of one more kW of net power per slot (dual of the grid row,
    # EUR per kW and slot); NaN where the row was left out (`decompose.py`)
    grid_dual: FloatArr = field(default_factory=lambda: np.zeros(0))
    # relaxed / integer modes: booking id -> {vehicle id: share of x} over candidate pairs
    x_share: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class _Class:
    """Identical vehicles modelled as one (relaxed mode); a single vehicle otherwise."""

    members: list[int]
    rep: Vehicle

    @property
    def k(self) -> float:
        return float(len(self.members))


def _vehicle_key(v: Vehicle) -> tuple[object, ...]:
    return (
        v.kind,
        v.battery_kwh,
        v.initial_soc_kwh,
        v.min_soc_kwh,
        v.max_charge_kw,
        v.max_discharge_kw,
        v.charge_efficiency,
        v.discharge_efficiency,
        v.consumption_kwh_per_km,
        v.plugged_in_from_slot,
        v.unavailable,
    )


def fixed_prices(arr: Arrays) -> tuple[FloatArr, FloatArr]:
    """Import / export prices of the fixed LP. Where export pays more than import the true cost
    is concave in net; both directions get one price there (an upper bound of the true cost), so
    the LP cannot exploit it."""
    imp_p, exp_p = arr.imp.copy(), arr.exp.copy()
    odd = exp_p > imp_p
    one = np.where(arr.base >= arr.pv, imp_p, exp_p)
    return np.where(odd, one, imp_p), np.where(odd, one, exp_p)


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
) -> LPResult:
    """Build the LP/MILP of `mode` and solve it; see the module docstring."""
    t0 = time.perf_counter()
    n, h = arr.n, arr.h
    fixed = mode == "fixed"
    vs = scn.vehicles
    vidx = scn.vehicle_index()
    margin = MARGIN if fixed else 0.0

    # ---- vehicle classes and trips -------------------------------------------------------
    bound_vehicles = {b.vehicle for b in scn.bookings if b.vehicle is not None}
    classes: list[_Class] = []
    if fixed and only is not None:
        # a sub-LP over these vehicles alone (local search in `improve.py`, with grid prices)
        classes = [_Class([i], vs[i]) for i in only]
    elif fixed or not aggregate:
        classes = [_Class([i], v) for i, v in enumerate(vs)]
    else:
        groups: dict[tuple[object, ...], list[int]] = {}
        for i, v in enumerate(vs):
            key = (
                (_vehicle_key(v), v.id)
                if v.is_private or v.id in bound_vehicles
                else _vehicle_key(v)
            )
            groups.setdefault(key, []).append(i)
        classes = [_Class(m, vs[m[0]]) for m in groups.values()]
    nc = len(classes)
    k = np.array([cl.k for cl in classes])
    rep = [cl.rep for cl in classes]
    ci = np.array([cl.members[0] for cl in classes])
    cmax, dmax = arr.cmax[ci], arr.dmax[ci]
    eta_c, eta_d = arr.eta_c[ci], arr.eta_d[ci]
    battery, min_soc, initial = arr.battery[ci] * k, arr.min_soc[ci] * k, arr.initial[ci] * k
    avail = arr.avail[ci]

    # fixed trips (bound bookings always; every assigned booking in fixed mode)
    cls_of_vehicle = {i: c for c, cl in enumerate(classes) for i in cl.members}
    fixed_trips: list[list[Booking]] = [[] for _ in range(nc)]
    free: list[Booking] = []
    for b in scn.bookings:
        vid = (assignment or {}).get(b.id) if fixed else b.vehicle
        if vid is not None:
            if vidx[vid] in cls_of_vehicle:
                fixed_trips[cls_of_vehicle[vidx[vid]]].append(b)
        elif not fixed:
            free.append(b)
    for lst in fixed_trips:
        lst.sort(key=lambda b: b.start_slot)
    away = np.zeros((nc, n))
    drop = np.zeros((nc, n))
    for c, lst in enumerate(fixed_trips):
        for b in lst:
            away[c, b.start_slot : b.end_slot] = 1.0
            drop[c, b.start_slot] += b.expected_km * rep[c].consumption_kwh_per_km
    mask = avail & (away < 0.5)  # plugged for sure (classes: some member still plugged)

    # candidate pairs (free booking, class) for relaxed / integer modes: rule 2 filters
    pairs: list[tuple[int, int]] = []
    turn = scn.min_turnaround_slots
    busy = [np.zeros(n + 1, dtype=bool) for _ in range(nc)]
    for c, lst in enumerate(fixed_trips):
        for b in lst:
            busy[c][b.start_slot : min(n, b.end_slot + turn)] = True
            busy[c][max(0, b.start_slot - turn) : b.start_slot] = True
    for j, b in enumerate(free):
        for c in range(nc):
            v = rep[c]
            if v.is_private or b.start_slot < v.plugged_in_from_slot:
                continue
            if any(b.start_slot < z and a < b.end_slot for a, z in v.unavailable):
                continue
            if busy[c][b.start_slot : min(n, b.end_slot + turn)].any():
                continue
            if trip_need_kwh(v, b, n) > v.battery_kwh + 1e-9:
                continue
            pairs.append((j, c))

    B = _Builder()
    # ---- power ------------------------------------------------------------------------------
    # rule 3 and rule 4 as bounds: nothing while away, within the car's limits while plugged.
    # Each class lives in a window of boundaries [plug-in, departure or end]: outside it
    # nothing moves, so no columns or rows are made there (private cars stay ~10 h of a week).
    w_lo = np.array([v.plugged_in_from_slot for v in rep], dtype=np.int64)
    w_hi = np.array(
        [
            min(v.departure_slot, n) if v.is_private and v.departure_slot is not None else n
            for v in rep
        ],
        dtype=np.int64,
    )
    bnd = np.arange(n + 1)[None, :]
    in_win = (bnd >= w_lo[:, None]) & (bnd <= w_hi[:, None])
    slot_win = in_win[:, :-1] & in_win[:, 1:]
    cu = B.var((nc, n), 0.0, (cmax * k)[:, None] * mask, active=mask & (cmax > 0)[:, None])
    du = B.var((nc, n), 0.0, (dmax * k)[:, None] * mask, active=mask & (dmax > 0)[:, None])
    soc = B.var((nc, n + 1), -INF, INF, active=in_win)
    x = B.var((len(pairs),), 0.0, 1.0)
    if mode == "integer":
        B.integer.append(x)
    pc = np.array([c for _, c in pairs], dtype=np.int64)
    pj = np.array([j for j, _ in pairs], dtype=np.int64)

    # Relaxed/integer: running sums over each class's slots keep the matrix sparse (two
    # entries per candidate instead of one per slot it covers):
    #   A[c, t]  share of class c away on a candidate trip in slot t     (rule 3)
    #   X[c, t]  candidate trips whose [start, end + turnaround) holds t  (rule 2: <= k)
    #   F[c, b]  how far below min_soc a trip may leave boundary b inside it (rule 5 relaxed)
    F = None
    A = None
    slack_q = np.zeros(len(pairs))
    if pairs:
        s_arr = np.array([free[j].start_slot for j in pj], dtype=np.int64)
        e_arr = np.array([free[j].end_slot for j in pj], dtype=np.int64)
        ext_e = np.minimum(n, e_arr + turn)
        slack_q = np.array(
            [
                max(
                    0.0,
                    free[j].expected_km * rep[c].consumption_kwh_per_km
                    - (trip_need_kwh(rep[c], free[j], n) - rep[c].min_soc_kwh),
                )
                for j, c in pairs
            ]
        )
        A = B.var((nc, n), 0.0, INF)
        X = B.var((nc, n), 0.0, k[:, None] * np.ones((1, n)))
        F = B.var((nc, n + 1), 0.0, INF)
        for Z, ends in ((A, e_arr), (X, ext_e)):
            r = B.rows(nc * n, 0.0, 0.0).reshape(nc, n)
            B.coef(r, Z, 1.0)
            B.coef(r[:, 1:], Z[:, :-1], -1.0)
            B.coef(r[pc, s_arr], x, -1.0)
            m = ends < n
            B.coef(r[pc[m], ends[m]], x[m], 1.0)
        r = B.rows(nc * (n + 1), 0.0, 0.0).reshape(nc, n + 1)
        B.coef(r, F, 1.0)
        B.coef(r[:, 1:], F[:, :-1], -1.0)
        B.coef(r[pc, s_arr + 1], x, -slack_q)
        m = e_arr < n
        B.coef(r[pc[m], e_arr[m]], x[m], slack_q[m])
        for var, lim in ((cu, cmax), (du, dmax)):
            r = B.rows(nc * n, -INF, ((lim * k)[:, None] * mask).ravel()).reshape(nc, n)
            B.coef(r, var, 1.0)
            B.coef(r, A, lim[:, None])

    # ---- battery: soc[t+1] = soc[t] + eta_c h c - h d / eta_d - trips leaving at t ---------------
    dyn2 = np.full((nc, n), -1, dtype=np.int64)
    dyn2[slot_win] = B.rows(int(slot_win.sum()), -drop[slot_win], -drop[slot_win])
    B.coef(dyn2, soc[:, 1:], 1.0)
    B.coef(dyn2, soc[:, :-1], -1.0)
    B.coef(dyn2, cu, -(eta_c * h)[:, None])
    B.coef(dyn2, du, (h / eta_d)[:, None])
    energy = np.array([free[j].expected_km * rep[c].consumption_kwh_per_km for j, c in pairs])
    if pairs:
        B.coef(dyn2[pc, [free[j].start_slot for j in pj]], x, energy)
    soc_lb = np.full((nc, n + 1), -INF)
    soc_ub = np.full((nc, n + 1), INF)
    soc_lb[np.arange(nc), w_lo] = soc_ub[np.arange(nc), w_lo] = initial  # data at plug-in
    # per class margin: never tighter than the data allows (a car may start exactly full)
    mv = np.minimum(margin, np.maximum(0.0, np.minimum(battery - initial, initial - min_soc)) / 2)
    for c in range(nc):
        v = rep[c]
        chk = checked_boundaries(v, fixed_trips[c], n)
        p0 = v.plugged_in_from_slot
        chk[: p0 + 1] = False  # soc before and at plug-in is data
        soc_lb[c, chk] = min_soc[c] + mv[c]  # rule 5 floor
        soc_ub[c, chk] = battery[c] - mv[c]  # rule 5 cap
        if not fixed:
            soc_ub[c, p0 + 1 :] = battery[c]
    floor_val = soc_lb.copy()
    flo_c, flo_b = np.nonzero(np.isfinite(soc_lb) & (bnd > w_lo[:, None]))
    if F is not None:
        # relaxed: the floor becomes a row that candidate trips may relax (rule 5)
        soc_lb[flo_c, flo_b] = -INF
        rows = B.rows(len(flo_c), floor_val[flo_c, flo_b], INF)
        B.coef(rows, soc[flo_c, flo_b], 1.0)
        B.coef(rows, F[flo_c, flo_b], 1.0)
    B.set_bounds(soc, soc_lb, soc_ub)

    # ---- rule 6: promises ---------------------------------------------------------------------
    slack_idx: dict[str, int] = {}
    prom_rows: list[tuple[int, int, float, int | None, list[tuple[int, float]]]] = []
    for c, lst in enumerate(fixed_trips):
        v = rep[c]
        for b in lst:
            need = trip_need_kwh(v, b, n) + margin + (k[c] - 1) * v.min_soc_kwh
            sl = None
            if fixed:
                sl = int(B.var((1,), 0.0, INF, PROMISE_SLACK_EUR)[0])
                slack_idx[b.id] = sl
            prom_rows.append((c, b.start_slot, need, sl, []))
    by_start: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for q, (j, c) in enumerate(pairs):
        b = free[j]
        by_start.setdefault((c, b.start_slot), []).append(
            (q, trip_need_kwh(rep[c], b, n) - rep[c].min_soc_kwh)
        )
    for (c, s), entries in by_start.items():
        prom_rows.append((c, s, float(min_soc[c]), None, entries))
    if prom_rows:
        rows = B.rows(len(prom_rows), np.array([pr[2] for pr in prom_rows]), INF)
        B.coef(rows, np.array([soc[pr[0], pr[1]] for pr in prom_rows]), 1.0)
        for r, pr in zip(rows, prom_rows, strict=False):
            if pr[3] is not None:
                B.coef(r, pr[3], 1.0)
            if pr[4]:
                B.coef(r, x[np.array([q for q, _ in pr[4]])], -np.array([s for _, s in pr[4]]))

    # ---- rule 6, private cars: shortfall >= min(target, reachable) - soc at departure -------
    priv = [c for c in range(nc) if rep[c].is_private]
    pen = scn.shortfall_penalty_eur_per_kwh
    short = B.var((len(priv),), 0.0, INF, pen)
    targets: list[tuple[int, float]] = []
    for c in priv:
        targets.append(private_target(rep[c], avail[c], h, n))
    if priv:
        rows = B.rows(len(priv), np.array([tg for _, tg in targets]), INF)
        dep_soc = np.array([soc[c, end] for c, (end, _) in zip(priv, targets, strict=True)])
        B.coef(rows, dep_soc, 1.0)
        B.coef(rows, short, 1.0)
        if fixed:
            # fairness: a small price on the largest shortfall spreads a forced shortage evenly
            zmax = B.var((1,), 0.0, INF, FAIRNESS_SHARE * pen)
            rows = B.rows(len(priv), 0.0, INF)
            B.coef(rows, zmax[0], 1.0)
            B.coef(rows, short, -1.0)

    # ---- rule 7: grid connection and its cost ------------------------------------------------
    imp_p, exp_p = fixed_prices(arr) if fixed else (arr.imp.copy(), arr.exp.copy())
    # Decomposition (`decompose.py`): slots outside `coupled` replace the grid rows by a price
    # per slot, which leaves one block per vehicle there; `coupled` slots keep the exact rows.
    priced = grid_prices is not None and fixed
    on = np.ones(n, dtype=bool) if not priced or coupled is None else coupled
    on_f = np.ones(n, dtype=bool) if not priced or flex_coupled is None else flex_coupled
    if priced:
        assert grid_prices is not None
        gp = np.where(on, 0.0, grid_prices * h)
        B.add_obj(cu, gp[None, :])
        B.add_obj(du, -gp[None, :])
    gi = B.var((n,), 0.0, max(0.0, arr.imp_lim - margin), imp_p * h, active=on)
    ge = B.var((n,), 0.0, max(0.0, arr.exp_lim - margin), -exp_p * h, active=on)
    pvu = B.var((n,), 0.0, arr.pv, active=on)
    bal = B.rows_on(on, arr.base, arr.base)
    B.coef(bal, gi, 1.0)
    B.coef(bal, ge, -1.0)
    B.coef(bal, pvu, 1.0)
    B.coef(bal[None, :], cu, -1.0)
    B.coef(bal[None, :], du, 1.0)
    grid_slack = None
    if fixed:
        grid_slack = B.var((n,), 0.0, INF, GRID_SLACK_EUR, active=on)
        B.coef(bal, grid_slack, 1.0)
    # wear (spec score) plus, in fixed mode, a price on discharging in negative-price slots so
    # that the LP never charges and discharges at once to burn energy (the spec nets p = c - d)
    wear = scn.degradation_eur_per_kwh * h * np.ones((nc, n))
    if fixed:
        neg = np.maximum(0.0, -arr.imp) + np.maximum(0.0, -arr.exp)
        wear = wear + 1.01 * h * neg[None, :] / (eta_c * eta_d)[:, None]
    # (added to the discharge columns, which were created with zero cost)
    B.add_obj(du, wear)

    # ---- rule 8: flexibility ------------------------------------------------------------------
    fu = fd = None
    if arr.up is not None and arr.down is not None and with_flex:
        lim = ((cmax + dmax) * k)[:, None] * mask
        fu = B.var((nc, n), 0.0, lim, -arr.up[None, :], active=mask & (arr.up > 0)[None, :])
        fd = B.var((nc, n), 0.0, lim, -arr.down[None, :], active=mask & (arr.down > 0)[None, :])
        # rule 4 under activation; relaxed: with rule 3 for the share A away on candidate trips
        # (p - fu >= -dmax (k - A), p + fd <= cmax (k - A): for binary x, a car away holds
        # nothing), which keeps flexibility off cars the relaxation sends on a trip
        r = B.rows_on(fu >= 0, (-dmax * k)[:, None].repeat(n, 1), INF)
        B.coef(r, cu, 1.0)
        B.coef(r, du, -1.0)
        B.coef(r, fu, -1.0)
        if A is not None:
            B.coef(r, A, -dmax[:, None])
        r = B.rows_on(fd >= 0, -INF, (cmax * k)[:, None].repeat(n, 1))
        B.coef(r, cu, 1.0)
        B.coef(r, du, -1.0)
        B.coef(r, fd, 1.0)
        if A is not None:
            B.coef(r, A, cmax[:, None])
        # rule 7 under activation: all-up with no PV used, all-down with all PV used
        # (slots outside `flex_coupled` in the decomposition: checked afterwards instead)
        r = B.rows_on(on_f, -arr.exp_lim - arr.base + margin, INF)
        B.coef(r[None, :], cu, 1.0)
        B.coef(r[None, :], du, -1.0)
        B.coef(r[None, :], fu, -1.0)
        r = B.rows_on(on_f, -INF, arr.imp_lim - arr.base + arr.pv - margin)
        B.coef(r[None, :], cu, 1.0)
        B.coef(r[None, :], du, -1.0)
        B.coef(r[None, :], fd, 1.0)
        # cumulative battery effect of activation (U: all-up below the plan, D: all-down above
        # it). The battery gain phi(q) = h min(eta_c q, q / eta_d) is concave in q. A car that
        # never discharges is exact with slope eta_c, and so is every car in the relaxation
        # (the smallest slope: a relaxation). A V2G car in the dispatcher:
        #   all-up, exact: U_inc >= plan_inc - phi(p - fu), one row per piece of the min;
        #   all-down, safe: D_inc = h fd / eta_d (the largest slope bounds any gain; the
        #   other tangent, h eta_c fd + (h/eta_d - h eta_c) d, was measured worse: it taxes
        #   every discharging slot).
        v2g = dmax > 0
        exact = ~(v2g & fixed)
        kap = np.where(exact, eta_c, 1.0 / eta_d)
        U = B.var((nc, n + 1), 0.0, INF, active=in_win)
        D = B.var((nc, n + 1), 0.0, INF, active=in_win)
        B.set_bounds(U[np.arange(nc), w_lo], 0.0, 0.0)
        B.set_bounds(D[np.arange(nc), w_lo], 0.0, 0.0)
        for Z, f, cells in ((U, fu, slot_win & exact[:, None]), (D, fd, slot_win)):
            r = B.rows_on(cells, 0.0, 0.0)
            B.coef(r, Z[:, 1:], 1.0)
            B.coef(r, Z[:, :-1], -1.0)
            B.coef(r, f, -(kap * h)[:, None])
        cells = slot_win & ~exact[:, None]
        if cells.any():
            loss = ((1.0 / eta_d - eta_c) * h)[:, None]
            for terms in (
                ((du, loss), (fu, -(eta_c * h)[:, None])),
                ((cu, loss), (fu, -(h / eta_d)[:, None])),
            ):
                r = B.rows_on(cells, 0.0, INF)
                B.coef(r, U[:, 1:], 1.0)
                B.coef(r, U[:, :-1], -1.0)
                for var, cf in terms:
                    B.coef(r, var, cf)
        # floors and caps of the activated trajectories (rules 5 and 6 under rule 8)
        r = B.rows(len(flo_c), floor_val[flo_c, flo_b], INF)
        B.coef(r, soc[flo_c, flo_b], 1.0)
        B.coef(r, U[flo_c, flo_b], -1.0)
        if F is not None:
            B.coef(r, F[flo_c, flo_b], 1.0)
        hi_c, hi_b = np.nonzero(np.isfinite(soc_ub) & (bnd > w_lo[:, None]))
        r = B.rows(len(hi_c), -INF, soc_ub[hi_c, hi_b])
        B.coef(r, soc[hi_c, hi_b], 1.0)
        B.coef(r, D[hi_c, hi_b], 1.0)
        if prom_rows:
            rows = B.rows(len(prom_rows), np.array([pr[2] for pr in prom_rows]), INF)
            B.coef(rows, np.array([soc[pr[0], pr[1]] for pr in prom_rows]), 1.0)
            B.coef(rows, np.array([U[pr[0], pr[1]] for pr in prom_rows]), -1.0)
            for rr_, pr in zip(rows, prom_rows, strict=False):
                if pr[3] is not None:
                    B.coef(rr_, pr[3], 1.0)
                if pr[4]:
                    B.coef(
                        rr_, x[np.array([q for q, _ in pr[4]])], -np.array([s for _, s in pr[4]])
                    )
        if priv:
            # no private shortfall grows: soc_up >= target - shortfall
            rows = B.rows(len(priv), np.array([tg for _, tg in targets]), INF)
            dep_u = np.array([U[c, end] for c, (end, _) in zip(priv, targets, strict=True)])
            B.coef(rows, dep_soc, 1.0)
            B.coef(rows, dep_u, -1.0)
            B.coef(rows, short, 1.0)

    # ---- terminal value and unserved bookings ----------------------------------------------
    tv = scn.terminal_value_eur_per_kwh
    const = 0.0
    in_end = [c for c in range(nc) if not rep[c].is_private or (rep[c].departure_slot or 0) > n]
    if fixed:
        for c in in_end:
            B.add_obj(soc[c, n : n + 1], -tv)
            const += tv * min_soc[c]
        const += scn.unserved_penalty_eur * sum(
            1 for b in scn.bookings if (assignment or {}).get(b.id) is None
        )
    else:
        zt = B.var((len(in_end),), 0.0, INF, -tv)
        rows = B.rows(len(in_end), -INF, -min_soc[in_end] if in_end else 0.0)
        B.coef(rows, zt, 1.0)
        B.coef(rows, soc[np.array(in_end, dtype=np.int64), n], -1.0)
        # a trip running past the end may leave less than min_soc: max(0, .) allows that much
        if F is not None and in_end:
            B.coef(rows, F[np.array(in_end, dtype=np.int64), n], -1.0)
        # unserved: sum_v x[b, v] + u_b = 1
        if free:
            u = B.var((len(free),), 0.0, 1.0, scn.unserved_penalty_eur)
            rows = B.rows(len(free), 1.0, 1.0)
            B.coef(rows, u, 1.0)
            if pairs:
                B.coef(rows[pj], x, 1.0)

    build_s = time.perf_counter() - t0
    # The relaxation only needs its optimal value (a bound): HiGHS' interior point without
    # crossover is several times faster there than simplex on the x-coupled LP.
    params = ""
    if solver == "highs":
        # the fixed LP: dual simplex measured fastest on the week case (2-4x HiGHS' default)
        params = "solver ipm\nrun_crossover off" if mode == "relaxed" else "simplex_strategy 1"
        if mode == "integer":
            params = ""
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

    def val(idx: IntArr) -> FloatArr:
        out: FloatArr = np.where(idx >= 0, sol[np.maximum(idx, 0)], 0.0)
        return out

    if duals is not None and fixed and len(duals) == B.nrow:
        res.grid_dual = np.where(bal >= 0, duals[np.maximum(bal, 0)], np.nan)
    res.c = np.maximum(0.0, val(cu))
    res.d = np.maximum(0.0, val(du))
    if fu is not None and fd is not None:
        res.fu = np.maximum(0.0, val(fu))
        res.fd = np.maximum(0.0, val(fd))
    res.promise_slack = {bid: float(sol[i]) for bid, i in slack_idx.items()}
    if grid_slack is not None:
        res.grid_slack = float(val(grid_slack).sum())
    for q, (j, c) in enumerate(pairs):
        xv = float(sol[x[q]])
        if xv > 1e-6:
            for mem in classes[c].members:
                res.x_share.setdefault(free[j].id, {})[vs[mem].id] = xv / k[c]
    if mode == "integer":
        res.assignment = {b.id: b.vehicle for b in scn.bookings}
        for q, (j, c) in enumerate(pairs):
            if sol[x[q]] > 0.5:
                res.assignment[free[j].id] = vs[classes[c].members[0]].id
    return res
