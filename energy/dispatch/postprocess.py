"""Step 3 of the decomposition: an LP solution made into a plan the checker accepts, or none.

`postprocess` nets p = c - d on the plugged slots and re-simulates the battery by the spec's
piecewise model (`net_power`, clipping charge where the real battery would pass its cap), then
shrinks the LP's flexibility, guided by the checker's messages, until the plan passes `check.py`;
failing that it keeps the plan without flexibility, and a plan that still fails is never offered.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .baselines import to_plan
from .check import check_plan
from .core import Arrays, FloatArr, plugged_mask, trips_by_vehicle
from .lp import LPResult
from .plan import Plan
from .ranking import only_unkept_band
from .scenario import Scenario

_VEH = re.compile(r"vehicle (\S+?):? ")
_SLOT = re.compile(r"slot (\d+)")


def net_power(
    scn: Scenario, arr: Arrays, plugged: np.ndarray, res: LPResult, trips: list[Any]
) -> FloatArr:
    """p = c - d on plugged slots, re-simulated by the spec; clip charge that would overfill.

    A slot with both c and d in the LP stores *more* in the real battery than the LP believed
    (netting is less lossy), which can only break the cap: charging is clipped there.
    """
    h = arr.h
    p = np.where(plugged, res.c - res.d, 0.0)
    p = np.clip(p, -arr.dmax[:, None], arr.cmax[:, None])
    for i, v in enumerate(scn.vehicles):
        starts = {b.start_slot: b for b in trips[i]}
        soc = v.initial_soc_kwh
        cap = v.battery_kwh - 1e-7
        for t in range(v.plugged_in_from_slot, arr.n):
            b = starts.get(t)
            if b is not None:
                soc -= b.expected_km * v.consumption_kwh_per_km
            if not plugged[i, t]:
                continue
            q = p[i, t]
            gain = v.charge_efficiency * q * h if q >= 0 else q * h / v.discharge_efficiency
            if soc + gain > cap and q > 0:
                q = max(0.0, (cap - soc) / (v.charge_efficiency * h))
                p[i, t] = q
                gain = v.charge_efficiency * q * h
            soc += gain
    return p


def postprocess(
    scn: Scenario, arr: Arrays, assignment: dict[str, str | None], res: LPResult
) -> tuple[Plan | None, list[str]]:
    notes: list[str] = []
    trips = trips_by_vehicle(scn, assignment)
    plugged = plugged_mask(arr, trips)
    p = net_power(scn, arr, plugged, res, trips)
    base = to_plan(scn, assignment, p, {})
    if res.fu.size and res.fd.size:
        fu = np.where(plugged, np.minimum(res.fu, p + arr.dmax[:, None]), 0.0)
        fd = np.where(plugged, np.minimum(res.fd, arr.cmax[:, None] - p), 0.0)
        fu = np.maximum(fu, 0.0)
        fd = np.maximum(fd, 0.0)
        ids = [v.id for v in scn.vehicles]
        idx = scn.vehicle_index()
        for attempt in range(8):
            plan = to_plan(scn, assignment, p, {})
            plan.flex_up_kw = {vid: [float(x) for x in fu[i]] for i, vid in enumerate(ids)}
            plan.flex_down_kw = {vid: [float(x) for x in fd[i]] for i, vid in enumerate(ids)}
            chk = check_plan(scn, plan)
            if chk.valid:
                if attempt:
                    notes.append(f"flexibility shrunk in {attempt} round(s) to pass the check")
                return plan, notes
            if any(not v.startswith("rule 8") for v in chk.violations):
                break
            for msg in chk.violations:
                up = "all-up" in msg or "grows" in msg
                down = "all-down" in msg
                scale = 0.5 if attempt < 7 else 0.0
                mv = _VEH.search(msg)
                ms = _SLOT.search(msg)
                if mv and mv.group(1) in idx:
                    i = idx[mv.group(1)]
                    if up or not down:
                        fu[i] *= scale
                    if down or not up:
                        fd[i] *= scale
                elif ms:
                    t = int(ms.group(1))
                    if up:
                        fu[:, t] *= scale
                    if down:
                        fd[:, t] *= scale
        notes.append("flexibility dropped: it could not be made to pass the check")
    chk = check_plan(scn, base)
    if chk.valid or only_unkept_band(chk.violations):
        return base, notes
    notes.append("LP plan failed the independent check: " + chk.violations[0])
    return None, notes
