"""Rule 8 in the LP: flexibility variables, their activation rows and trajectories.

See `energy.dispatch.model` (rule 8) for the reading of each row.
"""

from __future__ import annotations

import numpy as np

from ..core import Arrays, BoolArr, FloatArr
from .builder import INF, Builder, IntArr

# (class, boundary, need, promise slack column or None, [(candidate x column, share)])
PromRow = tuple[int, int, float, int | None, list[tuple[int, float]]]


def add_flexibility(
    B: Builder,
    arr: Arrays,
    *,
    n: int,
    nc: int,
    h: float,
    k: FloatArr,
    mask: BoolArr,
    cmax: FloatArr,
    dmax: FloatArr,
    eta_c: FloatArr,
    eta_d: FloatArr,
    fixed: bool,
    margin: float,
    cu: IntArr,
    du: IntArr,
    A: IntArr | None,
    F: IntArr | None,
    on_f: BoolArr,
    in_win: BoolArr,
    w_lo: IntArr,
    slot_win: BoolArr,
    flo_c: IntArr,
    flo_b: IntArr,
    floor_val: FloatArr,
    soc: IntArr,
    soc_ub: FloatArr,
    bnd: IntArr,
    prom_rows: list[PromRow],
    x: IntArr,
    priv: list[int],
    targets: list[tuple[int, float]],
    dep_soc: IntArr,
    short: IntArr,
) -> tuple[IntArr, IntArr, IntArr, IntArr]:
    """Columns fu, fd (-1 where none) and every rule-8 row; prices enter the objective.

    Also returns, per (class, boundary), the row of the activated floor and cap (-1 where
    none): `CarLP` switches these rows off inside a trip.
    """
    assert arr.up is not None and arr.down is not None
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
    # never discharges is exact with slope eta_c. A V2G car:
    #   all-up, exact: U_inc >= plan_inc - phi(p - fu), one row per piece of the min (rows
    #   that every plan meets, so the relaxation keeps them too);
    #   all-down: the relaxation uses the smallest slope eta_c (a relaxation); the
    #   dispatcher D_inc = h fd / eta_d (the largest slope bounds any gain; the
    #   other tangent, h eta_c fd + (h/eta_d - h eta_c) d, was measured worse: it taxes
    #   every discharging slot).
    v2g = dmax > 0
    exact = ~v2g
    kap = np.where(v2g & fixed, 1.0 / eta_d, eta_c)
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
    floor_row = np.full((nc, n + 1), -1, dtype=np.int64)
    floor_row[flo_c, flo_b] = r
    B.coef(r, soc[flo_c, flo_b], 1.0)
    B.coef(r, U[flo_c, flo_b], -1.0)
    if F is not None:
        B.coef(r, F[flo_c, flo_b], 1.0)
    hi_c, hi_b = np.nonzero(np.isfinite(soc_ub) & (bnd > w_lo[:, None]))
    r = B.rows(len(hi_c), -INF, soc_ub[hi_c, hi_b])
    cap_row = np.full((nc, n + 1), -1, dtype=np.int64)
    cap_row[hi_c, hi_b] = r
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
                B.coef(rr_, x[np.array([q for q, _ in pr[4]])], -np.array([s for _, s in pr[4]]))
    if priv:
        # no private shortfall grows: soc_up >= target - shortfall
        rows = B.rows(len(priv), np.array([tg for _, tg in targets]), INF)
        dep_u = np.array([U[c, end] for c, (end, _) in zip(priv, targets, strict=True)])
        B.coef(rows, dep_soc, 1.0)
        B.coef(rows, dep_u, -1.0)
        B.coef(rows, short, 1.0)
    return fu, fd, floor_row, cap_row
