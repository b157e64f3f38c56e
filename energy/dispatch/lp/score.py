"""Rule 7 and the score in the LP: the grid connection with its energy cost, and the other terms.

Each helper adds one family of columns, rows or objective terms of `energy.dispatch.model` to a
`Builder` and says which rule or term of the spec's score it is: the grid connection (rule 7,
`grid_import`/`grid_export`/`pv_used` are the model's imp, exp and pv) with the decomposition's
per-slot prices and the band slacks, wear, the terminal value, the unserved penalty; and the
planning LP's own tie-breaks (fairness, the likely departure, charging early), which are not
spec rules and stay out of the relaxation and the MILP.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..core import (
    EARLY_CHARGE_EUR_PER_KWH,
    LIKELY_SHORTFALL_SHARE,
    LIKELY_URGENCY,
    Arrays,
    FloatArr,
    likely_target,
)
from ..scenario import Scenario
from .builder import INF, Builder, IntArr
from .layout import Layout
from .result import FAIRNESS_SHARE, GRID_SLACK_EUR, fixed_prices

# ------------------------------------------------------ tie-breaks of the planning LP


def fairness(B: Builder, shortfall: IntArr, penalty: float) -> None:
    """zmax >= short[v], priced at `FAIRNESS_SHARE` of the penalty: among plans of equal total
    shortfall the one that spreads a forced shortage evenly (fixed mode, objective)."""
    zmax = B.var((1,), 0.0, INF, FAIRNESS_SHARE * penalty)
    rows = B.rows(len(shortfall), 0.0, INF)
    B.coef(rows, zmax[0], 1.0)
    B.coef(rows, shortfall, -1.0)


def likely_departure(
    B: Builder, lay: Layout, soc: IntArr, classes: list[int], penalty: float
) -> None:
    """Not a spec rule (planning LP only; the relaxation and the MILP stay the spec's score):
    a private car is charged by its likely departure too, since owners often leave before the
    departure rule 6 checks: a softer target there, short_likely >= min(target, reachable) - soc,
    priced at `LIKELY_SHORTFALL_SHARE` of the penalty, times 1 + `LIKELY_URGENCY` x (slots
    after the likely departure) / slots: where the grid cannot charge every car by its likely
    departure, the earliest is served first (earliest deadline first, which equal prices would
    leave to chance)."""
    likely = [
        (c, t)
        for c in classes
        if (t := likely_target(lay.rep[c], lay.avail[c], lay.h, lay.n)) is not None
    ]
    if not likely:
        return
    after = np.array([lay.n - at for _, (at, _) in likely], dtype=float) / lay.n
    urgency = 1.0 + LIKELY_URGENCY * after
    likely_shortfall = B.var((len(likely),), 0.0, INF, LIKELY_SHORTFALL_SHARE * penalty * urgency)
    rows = B.rows(len(likely), np.array([tg for _, (_, tg) in likely]), INF)
    B.coef(rows, np.array([soc[c, at] for c, (at, _) in likely]), 1.0)
    B.coef(rows, likely_shortfall, 1.0)


def early_charging(B: Builder, lay: Layout, charge: IntArr) -> None:
    """Among plans of equal cost, charge earlier (fixed mode): a price on c rising from 0 to
    `EARLY_CHARGE_EUR_PER_KWH` over the horizon, far below any price gap."""
    n = lay.n
    B.add_obj(charge, (EARLY_CHARGE_EUR_PER_KWH * lay.h * np.arange(1, n + 1) / n)[None, :])


# -------------------------------------------------------------------------------- rule 7


def grid_prices_outside(
    B: Builder,
    lay: Layout,
    charge: IntArr,
    discharge: IntArr,
    prices: FloatArr,
    coupled: NDArray[np.bool_],
) -> None:
    """The decomposition (`decompose.py`): outside the `coupled` slots the grid rows are left
    out and net power c - d is priced per slot instead (a block per vehicle there)."""
    gp = np.where(coupled, 0.0, prices * lay.h)
    B.add_obj(charge, gp[None, :])
    B.add_obj(discharge, -gp[None, :])


def grid_connection(
    B: Builder,
    lay: Layout,
    arr: Arrays,
    charge: IntArr,
    discharge: IntArr,
    coupled: NDArray[np.bool_],
) -> IntArr:
    """Rule 7 and the energy cost: imp - exp + pv = base + sum_v (c - d) per coupled slot, with
    imp <= import limit - margin, exp <= export limit - margin, 0 <= pv <= pv_kw, imp priced at
    the import price and exp at the export price (`fixed_prices` in fixed mode). Either limit
    may be negative (a forced import or export), so each side gets a lower bound as well:
    imp >= -export limit where that is positive (then nothing is exported), and the mirror
    image. The margin shrinks where the band is narrower than two margins. Returns the rows."""
    n, h = lay.n, lay.h
    imp_p, exp_p = fixed_prices(arr) if lay.fixed else (arr.imp.copy(), arr.exp.copy())
    gm = np.minimum(lay.margin, np.maximum(0.0, arr.imp_lim + arr.exp_lim) / 3.0)
    grid_import = B.var(
        (n,),
        np.maximum(0.0, -arr.exp_lim + gm),
        np.maximum(0.0, arr.imp_lim - gm),
        imp_p * h,
        active=coupled,
    )
    grid_export = B.var(
        (n,),
        np.maximum(0.0, -arr.imp_lim + gm),
        np.maximum(0.0, arr.exp_lim - gm),
        -exp_p * h,
        active=coupled,
    )
    pv_used = B.var((n,), 0.0, arr.pv, active=coupled)
    rows = B.rows_on(coupled, arr.base, arr.base)
    B.coef(rows, grid_import, 1.0)
    B.coef(rows, grid_export, -1.0)
    B.coef(rows, pv_used, 1.0)
    B.coef(rows[None, :], charge, -1.0)
    B.coef(rows[None, :], discharge, 1.0)
    return rows


def band_slack(
    B: Builder, lay: Layout, grid_rows: IntArr, coupled: NDArray[np.bool_]
) -> tuple[IntArr, IntArr]:
    """Rule 7 where no plan can keep the band (fixed mode): priced slacks above the import
    limit and below the export side (a forced import the fleet cannot draw) keep the LP
    feasible; the plan is still returned and those slots are named."""
    above = B.var((lay.n,), 0.0, INF, GRID_SLACK_EUR, active=coupled)
    B.coef(grid_rows, above, 1.0)
    below = B.var((lay.n,), 0.0, INF, GRID_SLACK_EUR, active=coupled)
    B.coef(grid_rows, below, -1.0)
    return above, below


# ----------------------------------------------------------------------- objective terms


def wear(B: Builder, lay: Layout, arr: Arrays, discharge: IntArr, eur_per_kwh: float) -> None:
    """Wear (the spec's score): degradation x h x d. In fixed mode also a price on d in
    negative-price slots, 1.01 |price| / (eta_c eta_d), so that the LP never charges and
    discharges at once to burn energy (the spec nets p = c - d)."""
    h = lay.h
    price = eur_per_kwh * h * np.ones((lay.nc, lay.n))
    if lay.fixed:
        neg = np.maximum(0.0, -arr.imp) + np.maximum(0.0, -arr.exp)
        price = price + 1.01 * h * neg[None, :] / (lay.eta_c * lay.eta_d)[:, None]
    B.add_obj(discharge, price)


def terminal_value(
    B: Builder, lay: Layout, soc: IntArr, floor_drop: IntArr | None, eur_per_kwh: float
) -> float:
    """- terminal value x (soc[end] - min_soc) for every class still in the horizon at its end;
    returns the constant part. In the relaxation max(0, .) through z <= soc[end] - min_soc
    (+ F[end]: a trip running past the end may leave less than min_soc)."""
    n, tv = lay.n, eur_per_kwh
    const = 0.0
    in_end = [
        c
        for c in range(lay.nc)
        if not lay.rep[c].is_private or (lay.rep[c].departure_slot or 0) > n
    ]
    if lay.fixed:
        for c in in_end:
            B.add_obj(soc[c, n : n + 1], -tv)
            const += tv * lay.min_soc[c]
        return const
    z = B.var((len(in_end),), 0.0, INF, -tv)
    rows = B.rows(len(in_end), -INF, -lay.min_soc[in_end] if in_end else 0.0)
    B.coef(rows, z, 1.0)
    B.coef(rows, soc[np.array(in_end, dtype=np.int64), n], -1.0)
    if floor_drop is not None and in_end:
        B.coef(rows, floor_drop[np.array(in_end, dtype=np.int64), n], -1.0)
    return const


def unserved(
    B: Builder,
    lay: Layout,
    scn: Scenario,
    x: IntArr,
    assignment: dict[str, str | None] | None,
    *,
    sub_lp: bool,
) -> float:
    """The unserved penalty; returns the constant part. Fixed mode: a constant per booking
    left null (none in a sub-LP: a constant to its caller). Relaxed and integer: u[booking] =
    1 - sum x, priced at the penalty."""
    penalty = scn.unserved_penalty_eur
    if lay.fixed:
        if sub_lp:
            return 0.0
        return penalty * sum(1 for b in scn.bookings if (assignment or {}).get(b.id) is None)
    if lay.free:
        u = B.var((len(lay.free),), 0.0, 1.0, penalty)
        rows = B.rows(len(lay.free), 1.0, 1.0)
        B.coef(rows, u, 1.0)
        if lay.pairs:
            B.coef(rows[lay.pair_booking], x, 1.0)
    return 0.0
