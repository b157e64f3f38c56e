"""Flexibility around a fixed plan (rule 8), without an LP: provably safe, for any fleet size.

When the LP with flexibility cannot finish in time (large fleets, long horizons), the plan that
exists still holds spare capacity. For each vehicle, with the plan's own trajectory `soc`:

* all-up (every `p - fu` at once) lowers the battery by R_b = sum_{t<b} (phi(p_t) - phi(p_t -
  fu_t)) at boundary b, with phi(q) = h * min(eta_c q, q / eta_d) the spec's battery gain. Rules
  5 and 6 under activation ask R_b <= soc_b - floor_b at every checked boundary (floor: min_soc,
  a booking's need at its start, and for a private car `soc - min(soc, target')` at departure,
  so that no shortfall grows). R only grows, so R_{t+1} <= min_{b > t} (soc_b - floor_b) is
  enough; the slots are filled in time order, each up to that suffix minimum.
* all-down (every `p + fd`) raises it by G_b; rule 5's cap asks G_b <= battery - soc_b.
* rule 4 under activation: fu <= p + max_discharge, fd <= max_charge - p; rule 3: only where
  the car is plugged; rule 7 under activation: per slot, the fleet's sum is scaled down to what
  the grid band leaves (all-up with no PV used, all-down with all PV used). Scaling a slot down
  only lowers R and G, so every bound above still holds.

The result is offered only if the independent checker accepts it (else no flexibility).
"""

from __future__ import annotations

import numpy as np

from .core import MARGIN, Arrays, BoolArr, FloatArr, checked_boundaries, private_target
from .scenario import Booking, Scenario, trip_need_kwh


def _gain(p: FloatArr, eta_c: float, eta_d: float, h: float) -> FloatArr:
    out: FloatArr = np.where(p >= 0, eta_c * p * h, p * h / eta_d)
    return out


def _phi(q: float, ec: float, ed: float, h: float) -> float:
    return ec * q * h if q >= 0 else q * h / ed


def flex_around(
    scn: Scenario,
    arr: Arrays,
    p: FloatArr,
    trips: list[list[Booking]],
    plugged: BoolArr,
) -> tuple[FloatArr, FloatArr]:
    """(flex_up, flex_down) per vehicle and slot around the plan `p`; zeros where none."""
    assert arr.up is not None and arr.down is not None
    n, h = arr.n, arr.h
    nv = len(scn.vehicles)
    fu = np.zeros((nv, n))
    fd = np.zeros((nv, n))
    want_up = arr.up > 0
    want_down = arr.down > 0
    for i, v in enumerate(scn.vehicles):
        ec, ed = float(arr.eta_c[i]), float(arr.eta_d[i])
        drop = np.zeros(n + 1)
        floor = np.full(n + 1, v.min_soc_kwh)
        for b in trips[i]:
            drop[b.start_slot + 1 :] += b.expected_km * v.consumption_kwh_per_km
            floor[b.start_slot] = max(floor[b.start_slot], trip_need_kwh(v, b, n))
        gain = _gain(p[i], ec, ed, h)
        soc = v.initial_soc_kwh + np.concatenate([[0.0], np.cumsum(gain)]) - drop
        chk = checked_boundaries(v, trips[i], n)
        if v.is_private:
            end, target = private_target(v, plugged[i], h, n)
            floor[end] = max(floor[end], min(float(soc[end]), target))
            chk[end] = True
        room_up = np.where(chk, soc - floor - MARGIN, np.inf)
        room_down = np.where(chk, v.battery_kwh - soc - MARGIN, np.inf)
        # suffix minima: what R (G) may reach at boundary t + 1 and every later one
        lim_up = np.minimum.accumulate(room_up[::-1])[::-1]
        lim_down = np.minimum.accumulate(room_down[::-1])[::-1]
        r = g = 0.0
        for t in np.flatnonzero(plugged[i]):
            q = float(p[i, t])
            if want_up[t]:
                allow = float(lim_up[t + 1]) - r
                if allow > 0:
                    f = _inverse_up(q, allow, ec, ed, h, float(arr.dmax[i]))
                    fu[i, t] = f
                    r += _phi(q, ec, ed, h) - _phi(q - f, ec, ed, h)
            if want_down[t]:
                allow = float(lim_down[t + 1]) - g
                if allow > 0:
                    f = _inverse_down(q, allow, ec, ed, h, float(arr.cmax[i]))
                    fd[i, t] = f
                    g += _phi(q + f, ec, ed, h) - _phi(q, ec, ed, h)
    # rule 7 under activation, per slot (margins as in the LP)
    total = p.sum(axis=0)
    room_u = np.maximum(0.0, arr.base + total + arr.exp_lim - 2 * MARGIN)
    room_d = np.maximum(0.0, arr.imp_lim - arr.base + arr.pv - total - 2 * MARGIN)
    for grid, room in ((fu, room_u), (fd, room_d)):
        used = grid.sum(axis=0)
        grid *= np.where(used > room, room / np.maximum(used, 1e-12), 1.0)[None, :]
    return fu, fd


def _inverse_up(q: float, allow: float, ec: float, ed: float, h: float, dmax: float) -> float:
    """Largest fu <= q + dmax whose battery loss phi(q) - phi(q - fu) stays within `allow`."""
    cap = max(0.0, q + dmax)
    if q > 0:
        first = ec * h * q  # loss of cutting the charge to zero
        if allow <= first:
            return min(cap, allow / (ec * h))
        return min(cap, q + (allow - first) * ed / h)
    return min(cap, allow * ed / h)


def _inverse_down(q: float, allow: float, ec: float, ed: float, h: float, cmax: float) -> float:
    """Largest fd <= cmax - q whose battery gain phi(q + fd) - phi(q) stays within `allow`."""
    cap = max(0.0, cmax - q)
    if q < 0:
        first = -q * h / ed  # gain of cutting the discharge to zero
        if allow <= first:
            return min(cap, allow * ed / h)
        return min(cap, -q + (allow - first) / (ec * h))
    return min(cap, allow / (ec * h))
