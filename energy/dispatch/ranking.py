"""How checked plans compare, and the one kind of violation a plan may still be offered with.

`solve()` keeps the best plan the independent checker accepts (`plan_key`, `key_better`); a plan
that breaks rule 7 only where no plan can keep the band (`only_unkept_band`) may still be kept,
and then the smallest total excess over the band (`band_excess`) wins before the score does.
The planning service reads the same verdict when it saves a plan.
"""

from __future__ import annotations

import numpy as np

from .check import CheckResult
from .core import FloatArr
from .plan import Plan
from .scenario import Scenario


def plan_key(scn: Scenario, plan: Plan, chk: CheckResult) -> tuple[float, float] | None:
    """How plans compare (smaller is better), None for a plan that may not be offered: a plan
    may break rule 7 only where no plan can keep the band (the LP's slack says so); then the
    smallest total excess wins, and the score among equals."""
    if not chk.valid and not only_unkept_band(chk.violations):
        return None
    return (round(float(band_excess(scn, plan).sum()), 6), chk.terms.score)


def key_better(key: tuple[float, float], than: tuple[float, float]) -> bool:
    return key[0] < than[0] or (key[0] == than[0] and key[1] < than[1] - 1e-9)


def only_unkept_band(violations: list[str]) -> bool:
    """Every violation is rule 7 in a slot the plan itself cannot keep (the activations
    repeat the plan's own excess there), none is about anything else."""
    unkept = {m.split(":")[1] for m in violations if m.startswith("rule 7: slot")}
    return bool(unkept) and all(
        m.startswith(("rule 7: slot", "rule 8/7: slot")) and m.split(":")[1] in unkept
        for m in violations
    )


def band_excess(scn: Scenario, plan: Plan) -> FloatArr:
    """kW per slot by which the plan leaves rule 7's band (0 where it keeps it)."""
    total = np.zeros(scn.slots)
    for v in scn.vehicles:
        total += np.asarray(plan.power_kw[v.id], dtype=float)
    base = np.asarray(scn.site.base_load_kw)
    pv = np.asarray(scn.site.pv_kw)
    over = base - pv + total - np.asarray(scn.site.grid_import_limit_kw)
    under = -np.asarray(scn.site.grid_export_limit_kw) - (base + total)
    out: FloatArr = np.maximum(0.0, np.maximum(over, under))
    return out
