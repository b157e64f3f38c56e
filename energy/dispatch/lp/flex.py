"""Rule 8 in the LP: flexibility columns, the activated rules and the activation trajectories.

One helper per bullet of rule 8 in `energy.dispatch.model`: the columns fu, fd (only where a
price is offered), rules 4 and 7 under activation, the cumulative battery effect U (all-up) and
D (all-down), rule 5 and the promises under activation, and no growing private shortfall.
`add_flexibility` adds them in order, after the rules of `rules.py` they repeat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import Arrays, BoolArr
from .builder import INF, Builder, IntArr
from .layout import Layout
from .rules import ChargeBounds, PrivateTargets, Promise, promise_rows


@dataclass(frozen=True)
class FlexColumns:
    """fu, fd (-1 where none), and per (class, boundary) the rows of the activated floor and
    cap (-1 where none): `CarLP` switches these rows off inside a trip."""

    up: IntArr
    down: IntArr
    floor_row: IntArr
    cap_row: IntArr


def add_flexibility(
    B: Builder,
    arr: Arrays,
    lay: Layout,
    *,
    charge: IntArr,
    discharge: IntArr,
    soc: IntArr,
    x: IntArr,
    away: IntArr | None,
    floor_drop: IntArr | None,
    coupled: BoolArr,
    bounds: ChargeBounds,
    promised: list[Promise],
    private: PrivateTargets,
) -> FlexColumns:
    """Every rule-8 column and row; the flexibility prices enter the objective."""
    up, down = flexibility(B, arr, lay)
    activated_power_limits(B, lay, charge, discharge, up, down, away)
    activated_grid_band(B, arr, lay, charge, discharge, up, down, coupled)
    up_effect, down_effect = activation_effect(B, lay, charge, discharge, up, down)
    floor_row, cap_row = activated_floors_and_caps(
        B, lay, soc, up_effect, down_effect, bounds, floor_drop
    )
    if promised:
        promise_rows(B, promised, soc, x, up=up_effect)
    if private.classes:
        no_growing_shortfall(B, private, up_effect)
    return FlexColumns(up, down, floor_row, cap_row)


def flexibility(B: Builder, arr: Arrays, lay: Layout) -> tuple[IntArr, IntArr]:
    """fu[v,t], fd[v,t] >= 0, flexibility up and down (rule 8: only where the car is plugged,
    only where a price is offered), each at most the car's whole range max_charge +
    max_discharge; priced at minus the flexibility prices (income)."""
    assert arr.up is not None and arr.down is not None
    shape, plugged = (lay.nc, lay.n), lay.plugged
    lim = ((lay.cmax + lay.dmax) * lay.k)[:, None] * plugged
    up = B.var(shape, 0.0, lim, -arr.up[None, :], active=plugged & (arr.up > 0)[None, :])
    down = B.var(shape, 0.0, lim, -arr.down[None, :], active=plugged & (arr.down > 0)[None, :])
    return up, down


def activated_power_limits(
    B: Builder,
    lay: Layout,
    charge: IntArr,
    discharge: IntArr,
    up: IntArr,
    down: IntArr,
    away: IntArr | None,
) -> None:
    """Rule 4 under activation: c - d - fu >= -max_discharge, c - d + fd <= max_charge. In the
    relaxation with rule 3 for the share A away on candidate trips (p - fu >= -dmax (k - A),
    p + fd <= cmax (k - A): for binary x a car away holds nothing), which keeps flexibility off
    cars the relaxation sends on a trip."""
    n, k = lay.n, lay.k
    rows = B.rows_on(up >= 0, (-lay.dmax * k)[:, None].repeat(n, 1), INF)
    B.coef(rows, charge, 1.0)
    B.coef(rows, discharge, -1.0)
    B.coef(rows, up, -1.0)
    if away is not None:
        B.coef(rows, away, -lay.dmax[:, None])
    rows = B.rows_on(down >= 0, -INF, (lay.cmax * k)[:, None].repeat(n, 1))
    B.coef(rows, charge, 1.0)
    B.coef(rows, discharge, -1.0)
    B.coef(rows, down, 1.0)
    if away is not None:
        B.coef(rows, away, lay.cmax[:, None])


def activated_grid_band(
    B: Builder,
    arr: Arrays,
    lay: Layout,
    charge: IntArr,
    discharge: IntArr,
    up: IntArr,
    down: IntArr,
    coupled: BoolArr,
) -> None:
    """Rule 7 under activation: all-up with no PV used, base + sum(c - d) - sum fu >= -export
    limit; all-down with all PV used, base - pv + sum(c - d) + sum fd <= import limit. Only in
    the `coupled` slots (the decomposition checks the others afterwards)."""
    rows = B.rows_on(coupled, -arr.exp_lim - arr.base + lay.margin, INF)
    B.coef(rows[None, :], charge, 1.0)
    B.coef(rows[None, :], discharge, -1.0)
    B.coef(rows[None, :], up, -1.0)
    rows = B.rows_on(coupled, -INF, arr.imp_lim - arr.base + arr.pv - lay.margin)
    B.coef(rows[None, :], charge, 1.0)
    B.coef(rows[None, :], discharge, -1.0)
    B.coef(rows[None, :], down, 1.0)


def activation_effect(
    B: Builder, lay: Layout, charge: IntArr, discharge: IntArr, up: IntArr, down: IntArr
) -> tuple[IntArr, IntArr]:
    """U[v,b], D[v,b] >= 0, 0 at plug-in: the cumulative battery effect of all-up (below the
    plan) and all-down (above it) activation. The battery gain phi(q) = h min(eta_c q,
    q / eta_d) is concave in q. A car that never discharges is exact with slope eta_c:
    U[b+1] = U[b] + eta_c h fu. A V2G car:

    * all-up, exact: U_inc >= plan_inc - phi(p - fu), one row per piece of the min (rows that
      every plan meets, so the relaxation keeps them too);
    * all-down: the relaxation uses the smallest slope eta_c (a relaxation), the dispatcher
      D_inc = h fd / eta_d (the largest slope bounds any gain; the other tangent,
      h eta_c fd + (h/eta_d - h eta_c) d, was measured worse: it taxes every discharging slot).
    """
    nc, n, h = lay.nc, lay.n, lay.h
    eta_c, eta_d = lay.eta_c, lay.eta_d
    v2g = lay.dmax > 0
    exact = ~v2g
    slope = np.where(v2g & lay.fixed, 1.0 / eta_d, eta_c)
    up_effect = B.var((nc, n + 1), 0.0, INF, active=lay.in_window)
    down_effect = B.var((nc, n + 1), 0.0, INF, active=lay.in_window)
    B.set_bounds(up_effect[np.arange(nc), lay.first], 0.0, 0.0)
    B.set_bounds(down_effect[np.arange(nc), lay.first], 0.0, 0.0)
    win = lay.slot_in_window
    for effect, flex, cells in ((up_effect, up, win & exact[:, None]), (down_effect, down, win)):
        rows = B.rows_on(cells, 0.0, 0.0)
        B.coef(rows, effect[:, 1:], 1.0)
        B.coef(rows, effect[:, :-1], -1.0)
        B.coef(rows, flex, -(slope * h)[:, None])
    cells = win & ~exact[:, None]
    if cells.any():
        loss = ((1.0 / eta_d - eta_c) * h)[:, None]
        for terms in (
            ((discharge, loss), (up, -(eta_c * h)[:, None])),
            ((charge, loss), (up, -(h / eta_d)[:, None])),
        ):
            rows = B.rows_on(cells, 0.0, INF)
            B.coef(rows, up_effect[:, 1:], 1.0)
            B.coef(rows, up_effect[:, :-1], -1.0)
            for var, cf in terms:
                B.coef(rows, var, cf)
    return up_effect, down_effect


def activated_floors_and_caps(
    B: Builder,
    lay: Layout,
    soc: IntArr,
    up_effect: IntArr,
    down_effect: IntArr,
    bounds: ChargeBounds,
    floor_drop: IntArr | None,
) -> tuple[IntArr, IntArr]:
    """Rule 5 under activation: soc - U >= floor (+ F in the relaxation), soc + D <= cap.
    All-up needs no cap and all-down no floor: the battery is monotone in p. Returns the rows
    per (class, boundary), -1 where none."""
    shape = (lay.nc, lay.n + 1)
    fc, fb = bounds.floor_class, bounds.floor_boundary
    rows = B.rows(len(fc), bounds.floor[fc, fb], INF)
    floor_row = np.full(shape, -1, dtype=np.int64)
    floor_row[fc, fb] = rows
    B.coef(rows, soc[fc, fb], 1.0)
    B.coef(rows, up_effect[fc, fb], -1.0)
    if floor_drop is not None:
        B.coef(rows, floor_drop[fc, fb], 1.0)
    cc, cb = np.nonzero(np.isfinite(bounds.cap) & (lay.boundary > lay.first[:, None]))
    rows = B.rows(len(cc), -INF, bounds.cap[cc, cb])
    cap_row = np.full(shape, -1, dtype=np.int64)
    cap_row[cc, cb] = rows
    B.coef(rows, soc[cc, cb], 1.0)
    B.coef(rows, down_effect[cc, cb], 1.0)
    return floor_row, cap_row


def no_growing_shortfall(B: Builder, private: PrivateTargets, up_effect: IntArr) -> None:
    """Rule 8's no growing private shortfall: soc[dep] - U[dep] >= target' - short[v]."""
    rows = B.rows(len(private.classes), np.array([tg for _, tg in private.targets]), INF)
    at_up = np.array(
        [up_effect[c, end] for c, (end, _) in zip(private.classes, private.targets, strict=True)]
    )
    B.coef(rows, private.soc_at_target, 1.0)
    B.coef(rows, at_up, -1.0)
    B.coef(rows, private.shortfall, 1.0)
