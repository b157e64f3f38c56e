"""The vehicle side of the LP, one helper per rule of `shared/spec/scenario.md`: rules 1-6.

Each helper adds one family of columns or rows of `energy.dispatch.model` to a `Builder`, over the
grids of a `Layout`, and says which rule it enforces: the power and charge columns (rules 3, 4),
the relaxation's candidate trips (rules 1-3, 5), the battery balance, rule 5's bounds, the
promises and the private cars' shortfall (rule 6). Rule 7 and the objective's other terms are in
`score.py`, rule 8 in `flex.py`; `build.build_and_solve` calls them all in a fixed order (the
order numbers the columns and rows). Names follow the model: `charge`/`discharge` are c and d,
`soc` the charge at each boundary, `x` the share of a free booking given to a class, and
`away`/`turnaround`/`floor_drop` the relaxation's running sums A, X and F.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..core import FloatArr, checked_boundaries, private_target
from ..scenario import trip_need_kwh
from .builder import INF, Builder, IntArr
from .layout import Layout
from .result import PROMISE_SLACK_EUR

# ------------------------------------------------------------------------------- the columns


def charge_discharge(B: Builder, lay: Layout) -> tuple[IntArr, IntArr]:
    """c[v,t], d[v,t] >= 0, grid-side charge and discharge. Rule 3: a column only where the
    class is surely plugged (elsewhere the cell is -1: a power fixed at 0). Rule 4 as bounds:
    c <= max_charge_kw, d <= max_discharge_kw (k-fold for a class of k cars)."""
    shape, k, plugged = (lay.nc, lay.n), lay.k, lay.plugged
    charge = B.var(
        shape, 0.0, (lay.cmax * k)[:, None] * plugged, active=plugged & (lay.cmax > 0)[:, None]
    )
    discharge = B.var(
        shape, 0.0, (lay.dmax * k)[:, None] * plugged, active=plugged & (lay.dmax > 0)[:, None]
    )
    return charge, discharge


def state_of_charge(B: Builder, lay: Layout) -> IntArr:
    """soc[v,b], the charge at each boundary of the class's window (explicit, so that every
    row has few entries); its bounds are rule 5 (`charge_bounds`)."""
    return B.var((lay.nc, lay.n + 1), -INF, INF, active=lay.in_window)


def assignment_shares(B: Builder, lay: Layout, *, integer: bool) -> IntArr:
    """x[booking, class] in [0, 1] per candidate pair, binary in mode ``integer``: which car
    serves a free booking (rule 1; no pairs in fixed mode, where the assignment is data)."""
    x = B.var((len(lay.pairs),), 0.0, 1.0)
    if integer:
        B.integer.append(x)
    return x


# ------------------------------------------------------------- candidate trips (relaxation)


class TripSums(NamedTuple):
    """Running sums over each class's slots, so that a candidate trip costs two entries rather
    than one per slot it covers: A share away on a candidate trip, X candidate trips whose
    [start, end + turnaround) holds the slot, F how far below min_soc a trip may leave a
    boundary inside it."""

    away: IntArr
    turnaround: IntArr
    floor_drop: IntArr


def trip_sums(B: Builder, lay: Layout, x: IntArr) -> TripSums | None:
    """A, X <= k and F >= 0 with their rows (relaxed and integer modes, if any pair)."""
    if not lay.pairs:
        return None
    nc, n = lay.nc, lay.n
    sums = TripSums(
        away=B.var((nc, n), 0.0, INF),
        turnaround=B.var((nc, n), 0.0, lay.k[:, None] * np.ones((1, n))),
        floor_drop=B.var((nc, n + 1), 0.0, INF),
    )
    ones = np.ones(len(lay.pairs))
    # A: away in [start, end)
    _running_sum(B, lay, x, sums.away, lay.pair_start, lay.pair_end, ones)
    # rule 2: at most k trips of a class within [start, end + turnaround) (X's bound)
    ends = np.minimum(n, lay.pair_end + lay.turnaround)
    _running_sum(B, lay, x, sums.turnaround, lay.pair_start, ends, ones)
    # rule 5 inside a trip: from the boundary after its start to its return, the class's
    # floor may drop by the trip's energy less what its need holds above min_soc
    below = np.array(
        [
            max(
                0.0,
                lay.free[j].expected_km * lay.rep[c].consumption_kwh_per_km
                - (trip_need_kwh(lay.rep[c], lay.free[j], n) - lay.rep[c].min_soc_kwh),
            )
            for j, c in lay.pairs
        ]
    )
    _running_sum(B, lay, x, sums.floor_drop, lay.pair_start + 1, lay.pair_end, below)
    return sums


def _running_sum(
    B: Builder,
    lay: Layout,
    x: IntArr,
    total: IntArr,
    starts: IntArr,
    ends: IntArr,
    weight: FloatArr,
) -> None:
    """total[c,i] = total[c,i-1] + weight x over the pairs of class c starting at i, less those
    ending at i (a pair ending at the horizon's end never does)."""
    rows = B.rows(total.size, 0.0, 0.0).reshape(total.shape)
    B.coef(rows, total, 1.0)
    B.coef(rows[:, 1:], total[:, :-1], -1.0)
    pc = lay.pair_class
    B.coef(rows[pc, starts], x, -weight)
    m = ends < lay.n
    B.coef(rows[pc[m], ends[m]], x[m], weight[m])


def away_power(B: Builder, lay: Layout, charge: IntArr, discharge: IntArr, sums: TripSums) -> None:
    """Rule 3 under candidate trips: c <= max_charge (k - A), d <= max_discharge (k - A)."""
    for power, lim in ((charge, lay.cmax), (discharge, lay.dmax)):
        hi = ((lim * lay.k)[:, None] * lay.plugged).ravel()
        rows = B.rows(lay.nc * lay.n, -INF, hi).reshape(lay.nc, lay.n)
        B.coef(rows, power, 1.0)
        B.coef(rows, sums.away, lim[:, None])


# ------------------------------------------------------------------------ battery, rule 5


def battery_balance(
    B: Builder, lay: Layout, soc: IntArr, charge: IntArr, discharge: IntArr, x: IntArr
) -> IntArr:
    """soc[b+1] = soc[b] + eta_c h c - h d / eta_d - (trip energy if a booking leaves at b),
    one row per slot of the window (-1 elsewhere), returned: a trip is its right-hand side."""
    win, h = lay.slot_in_window, lay.h
    rows = np.full((lay.nc, lay.n), -1, dtype=np.int64)
    rows[win] = B.rows(int(win.sum()), -lay.trip_energy[win], -lay.trip_energy[win])
    B.coef(rows, soc[:, 1:], 1.0)
    B.coef(rows, soc[:, :-1], -1.0)
    B.coef(rows, charge, -(lay.eta_c * h)[:, None])
    B.coef(rows, discharge, (h / lay.eta_d)[:, None])
    energy = np.array(
        [lay.free[j].expected_km * lay.rep[c].consumption_kwh_per_km for j, c in lay.pairs]
    )
    if lay.pairs:
        B.coef(rows[lay.pair_class, lay.pair_start], x, energy)
    return rows


@dataclass(frozen=True)
class ChargeBounds:
    """Rule 5 per (class, boundary): floor and cap (-inf / inf where unchecked), and the cells
    after plug-in where the floor applies (rule 8 repeats them under activation)."""

    floor: FloatArr
    cap: FloatArr
    floor_class: IntArr
    floor_boundary: IntArr


def charge_bounds(B: Builder, lay: Layout, soc: IntArr, floor_drop: IntArr | None) -> ChargeBounds:
    """Rule 5: min_soc + margin <= soc <= battery - margin at every checked boundary (see the
    model's strict reading 5), soc = initial_soc_kwh at plug-in. The margin is never tighter
    than the data allows (a car may start exactly full). In the relaxation the cap is the
    battery everywhere after plug-in, and the floor a row that candidate trips may relax by F."""
    nc, n = lay.nc, lay.n
    lo = np.full((nc, n + 1), -INF)
    hi = np.full((nc, n + 1), INF)
    lo[np.arange(nc), lay.first] = hi[np.arange(nc), lay.first] = lay.initial  # data
    mv = np.minimum(
        lay.margin,
        np.maximum(0.0, np.minimum(lay.battery - lay.initial, lay.initial - lay.min_soc)) / 2,
    )
    for c in range(nc):
        v = lay.rep[c]
        checked = checked_boundaries(v, lay.trips[c], n)
        p0 = v.plugged_in_from_slot
        checked[: p0 + 1] = False  # soc before and at plug-in is data
        lo[c, checked] = lay.min_soc[c] + mv[c]
        hi[c, checked] = lay.battery[c] - mv[c]
        if not lay.fixed:
            hi[c, p0 + 1 :] = lay.battery[c]
    floor = lo.copy()
    fc, fb = np.nonzero(np.isfinite(lo) & (lay.boundary > lay.first[:, None]))
    if floor_drop is not None:
        lo[fc, fb] = -INF
        rows = B.rows(len(fc), floor[fc, fb], INF)
        B.coef(rows, soc[fc, fb], 1.0)
        B.coef(rows, floor_drop[fc, fb], 1.0)
    B.set_bounds(soc, lo, hi)
    return ChargeBounds(floor=floor, cap=hi, floor_class=fc, floor_boundary=fb)


# -------------------------------------------------------------------------------- rule 6


class Promise(NamedTuple):
    """One rule-6 row: soc[cls, boundary] + slack - sum share x >= need."""

    cls: int
    boundary: int
    need: float
    slack: int | None  # the promise slack's column (fixed mode)
    candidates: list[tuple[int, float]]  # (index into x, need above min_soc)


def promises(
    B: Builder, lay: Layout, soc: IntArr, x: IntArr
) -> tuple[list[Promise], dict[str, int]]:
    """Rule 6: soc[start] + slack >= min_soc + max(promised, expected if back in the horizon)
    x consumption + margin for each fixed trip (k - 1 idle members keep their floor), the slack
    priced `PROMISE_SLACK_EUR` (fixed mode); a candidate trip asks its share of that need above
    the class's floor. Returns the rows' terms and the slack column per booking."""
    n = lay.n
    slack_of: dict[str, int] = {}
    out: list[Promise] = []
    for c, lst in enumerate(lay.trips):
        v = lay.rep[c]
        for b in lst:
            need = trip_need_kwh(v, b, n) + lay.margin + (lay.k[c] - 1) * v.min_soc_kwh
            promise_slack = None
            if lay.fixed:
                promise_slack = int(B.var((1,), 0.0, INF, PROMISE_SLACK_EUR)[0])
                slack_of[b.id] = promise_slack
            out.append(Promise(c, b.start_slot, need, promise_slack, []))
    by_start: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for q, (j, c) in enumerate(lay.pairs):
        b = lay.free[j]
        by_start.setdefault((c, b.start_slot), []).append(
            (q, trip_need_kwh(lay.rep[c], b, n) - lay.rep[c].min_soc_kwh)
        )
    for (c, s), entries in by_start.items():
        out.append(Promise(c, s, float(lay.min_soc[c]), None, entries))
    if out:
        promise_rows(B, out, soc, x)
    return out, slack_of


def promise_rows(
    B: Builder, rows_of: list[Promise], soc: IntArr, x: IntArr, up: IntArr | None = None
) -> None:
    """The rows of `rows_of`, on soc - U with `up` (the promise under all-up activation)."""
    rows = B.rows(len(rows_of), np.array([pr.need for pr in rows_of]), INF)
    B.coef(rows, np.array([soc[pr.cls, pr.boundary] for pr in rows_of]), 1.0)
    if up is not None:
        B.coef(rows, np.array([up[pr.cls, pr.boundary] for pr in rows_of]), -1.0)
    for r, pr in zip(rows, rows_of, strict=False):
        if pr.slack is not None:
            B.coef(r, pr.slack, 1.0)
        if pr.candidates:
            B.coef(
                r,
                x[np.array([q for q, _ in pr.candidates])],
                -np.array([s for _, s in pr.candidates]),
            )


@dataclass(frozen=True)
class PrivateTargets:
    """Rule 6 for the private classes: where each target is checked and its value
    (min(target', reachable)), the soc columns there, and the shortfall columns."""

    classes: list[int]
    targets: list[tuple[int, float]]
    soc_at_target: IntArr
    shortfall: IntArr


def private_shortfall(B: Builder, lay: Layout, soc: IntArr, penalty: float) -> PrivateTargets:
    """Rule 6, private: short[v] >= min(target', reachable) - soc[departure or horizon end]
    (strict reading 7), priced at the shortfall penalty."""
    priv = [c for c in range(lay.nc) if lay.rep[c].is_private]
    shortfall = B.var((len(priv),), 0.0, INF, penalty)
    targets = [private_target(lay.rep[c], lay.avail[c], lay.h, lay.n) for c in priv]
    at_target = np.zeros(0, dtype=np.int64)
    if priv:
        rows = B.rows(len(priv), np.array([tg for _, tg in targets]), INF)
        at_target = np.array([soc[c, end] for c, (end, _) in zip(priv, targets, strict=True)])
        B.coef(rows, at_target, 1.0)
        B.coef(rows, shortfall, 1.0)
    return PrivateTargets(priv, targets, at_target, shortfall)
