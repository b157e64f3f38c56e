"""`build_and_solve`: the dispatcher's LP, the relaxation (bound) and the exact MILP."""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from ..core import (
    EARLY_CHARGE_EUR_PER_KWH,
    LIKELY_SHORTFALL_SHARE,
    MARGIN,
    Arrays,
    FloatArr,
    checked_boundaries,
    likely_target,
    private_target,
)
from ..scenario import Booking, Scenario, trip_need_kwh
from .builder import INF, Builder, IntArr
from .flex import PromRow, add_flexibility
from .result import (
    FAIRNESS_SHARE,
    GRID_SLACK_EUR,
    PROMISE_SLACK_EUR,
    LPExport,
    LPResult,
    VehicleClass,
    fixed_prices,
    vehicle_key,
)


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
) -> LPResult:
    """Build the LP/MILP of `mode` and solve it; see the module docstring.

    `export` (fixed mode, one vehicle in `only`, no trips): return the assembled model and its
    index grids in `exported` instead of solving (`CarLP` keeps it warm in HiGHS).
    """
    t0 = time.perf_counter()
    n, h = arr.n, arr.h
    fixed = mode == "fixed"
    vs = scn.vehicles
    vidx = scn.vehicle_index()
    margin = MARGIN if fixed else 0.0

    # ---- vehicle classes and trips -------------------------------------------------------
    bound_vehicles = {b.vehicle for b in scn.bookings if b.vehicle is not None}
    classes: list[VehicleClass] = []
    if fixed and only is not None:
        # a sub-LP over these vehicles alone (local search in `improve.py`, with grid prices)
        classes = [VehicleClass([i], vs[i]) for i in only]
    elif fixed or not aggregate:
        classes = [VehicleClass([i], v) for i, v in enumerate(vs)]
    else:
        groups: dict[tuple[object, ...], list[int]] = {}
        for i, v in enumerate(vs):
            key = (
                (vehicle_key(v), v.id) if v.is_private or v.id in bound_vehicles else vehicle_key(v)
            )
            groups.setdefault(key, []).append(i)
        classes = [VehicleClass(m, vs[m[0]]) for m in groups.values()]
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

    B = Builder()
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
    prom_rows: list[PromRow] = []
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
    dep_soc = np.zeros(0, dtype=np.int64)
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

    # ---- robustness (planning LP only: the relaxation and the MILP stay the spec's score) ----
    # A private car is charged by its likely departure (not a spec rule: rule 6 checks the
    # declared departure; owners often leave earlier): a second, softer target there,
    # shortfall_likely >= min(target, reachable) - soc at it.
    likely = [(c, t) for c in priv if (t := likely_target(rep[c], avail[c], h, n)) is not None]
    if fixed and likely:
        short_l = B.var((len(likely),), 0.0, INF, LIKELY_SHORTFALL_SHARE * pen)
        rows = B.rows(len(likely), np.array([tg for _, (_, tg) in likely]), INF)
        B.coef(rows, np.array([soc[c, at] for c, (at, _) in likely]), 1.0)
        B.coef(rows, short_l, 1.0)
    if fixed:
        # among plans of equal cost, charge earlier (a tie-break far below any price gap)
        B.add_obj(cu, (EARLY_CHARGE_EUR_PER_KWH * h * np.arange(1, n + 1) / n)[None, :])

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
    # net = imp - exp must lie in the band [-export limit, import limit]; either limit may be
    # negative (a forced import or export), so each side gets a lower bound as well:
    # import >= -export limit where that is positive (then nothing is exported), and the
    # mirror image. The margin shrinks where the band is narrower than two margins.
    gm = np.minimum(margin, np.maximum(0.0, arr.imp_lim + arr.exp_lim) / 3.0)
    gi = B.var(
        (n,),
        np.maximum(0.0, -arr.exp_lim + gm),
        np.maximum(0.0, arr.imp_lim - gm),
        imp_p * h,
        active=on,
    )
    ge = B.var(
        (n,),
        np.maximum(0.0, -arr.imp_lim + gm),
        np.maximum(0.0, arr.exp_lim - gm),
        -exp_p * h,
        active=on,
    )
    pvu = B.var((n,), 0.0, arr.pv, active=on)
    bal = B.rows_on(on, arr.base, arr.base)
    B.coef(bal, gi, 1.0)
    B.coef(bal, ge, -1.0)
    B.coef(bal, pvu, 1.0)
    B.coef(bal[None, :], cu, -1.0)
    B.coef(bal[None, :], du, 1.0)
    grid_slack = grid_slack_lo = None
    if fixed:
        # priced slacks keep the LP feasible where no plan can keep the band (rule 7: the plan
        # is still returned and those slots are named): above the import limit, below the
        # export side (a forced import the fleet cannot draw)
        grid_slack = B.var((n,), 0.0, INF, GRID_SLACK_EUR, active=on)
        B.coef(bal, grid_slack, 1.0)
        grid_slack_lo = B.var((n,), 0.0, INF, GRID_SLACK_EUR, active=on)
        B.coef(bal, grid_slack_lo, -1.0)
    # wear (spec score) plus, in fixed mode, a price on discharging in negative-price slots so
    # that the LP never charges and discharges at once to burn energy (the spec nets p = c - d)
    wear = scn.degradation_eur_per_kwh * h * np.ones((nc, n))
    if fixed:
        neg = np.maximum(0.0, -arr.imp) + np.maximum(0.0, -arr.exp)
        wear = wear + 1.01 * h * neg[None, :] / (eta_c * eta_d)[:, None]
    # (added to the discharge columns, which were created with zero cost)
    B.add_obj(du, wear)

    # ---- rule 8: flexibility ------------------------------------------------------------------
    fu = fd = floor_row = cap_row = None
    if arr.up is not None and arr.down is not None and with_flex:
        fu, fd, floor_row, cap_row = add_flexibility(
            B,
            arr,
            n=n,
            nc=nc,
            h=h,
            k=k,
            mask=mask,
            cmax=cmax,
            dmax=dmax,
            eta_c=eta_c,
            eta_d=eta_d,
            fixed=fixed,
            margin=margin,
            cu=cu,
            du=du,
            A=A,
            F=F,
            on_f=on_f,
            in_win=in_win,
            w_lo=w_lo,
            slot_win=slot_win,
            flo_c=flo_c,
            flo_b=flo_b,
            floor_val=floor_val,
            soc=soc,
            soc_ub=soc_ub,
            bnd=bnd,
            prom_rows=prom_rows,
            x=x,
            priv=priv,
            targets=targets,
            dep_soc=dep_soc,
            short=short,
        )

    # ---- terminal value and unserved bookings ----------------------------------------------
    tv = scn.terminal_value_eur_per_kwh
    const = 0.0
    in_end = [c for c in range(nc) if not rep[c].is_private or (rep[c].departure_slot or 0) > n]
    if fixed:
        for c in in_end:
            B.add_obj(soc[c, n : n + 1], -tv)
            const += tv * min_soc[c]
        if only is None:  # a sub-LP leaves the unserved penalty out (a constant to its caller)
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

    if export:
        col_lo, col_hi, cost, row_lo, row_hi, matrix = B.assemble()
        res = LPResult(status="EXPORTED", solver=solver, seconds=0.0, objective=None, bound=None)
        res.exported = LPExport(
            lb=col_lo,
            ub=col_hi,
            obj=cost,
            row_lo=row_lo,
            row_hi=row_hi,
            matrix=matrix,
            const=const,
            power=[g for g in (cu, du, fu, fd) if g is not None],
            soc=soc,
            balance=dyn2,
            floor_row=floor_row,
            cap_row=cap_row,
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
    if grid_slack is not None and grid_slack_lo is not None:
        res.band_slack = val(grid_slack) + val(grid_slack_lo)
        res.grid_slack = float(res.band_slack.sum())
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
