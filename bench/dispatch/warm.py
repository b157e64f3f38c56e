"""Warm re-plan against cold: one new booking after a plan, solved both ways in one process.

The new booking copies the shape of the middle booking of the case, six slots later, unbound;
both re-plans get the case's time limit. The cold re-plan is what a fresh `plan_scenario`
does; the warm one starts from the first plan's cars (`solve(warm=...)`), as `plan_hub` does
from the hub's current plan. Solver seconds, not process seconds: both would pay the same start.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from energy.dispatch.parse import parse_scenario
from energy.dispatch.solver import solve

from .cases import CASES, TIME_LIMITS, build

WARM_HEADER = ["case", "cold_s", "cold_score", "warm_s", "warm_score", "time_ratio", "score_diff"]


def measure_warm(case_name: str, time_limit: float | None = None) -> dict[str, Any]:
    doc = build(CASES[case_name])
    limit = time_limit or TIME_LIMITS.get(case_name, 60.0)
    first = solve(parse_scenario(doc), time_limit=limit)
    doc2 = copy.deepcopy(doc)
    model = dict(doc2["bookings"][len(doc2["bookings"]) // 2])
    start = min(doc2["slots"] - 8, int(model["start_slot"]) + 6)
    length = max(1, int(model["end_slot"]) - int(model["start_slot"]))
    model.update(
        id="bench-new", vehicle=None, start_slot=start, end_slot=min(doc2["slots"], start + length)
    )
    doc2["bookings"].append(model)
    scn = parse_scenario(doc2)
    previous = {b: v for b, v in first.assignments.items() if v is not None}
    began = time.perf_counter()
    cold = solve(scn, time_limit=limit)
    cold_s = time.perf_counter() - began
    began = time.perf_counter()
    warm = solve(scn, time_limit=limit, warm=previous)
    warm_s = time.perf_counter() - began
    assert cold.report is not None and warm.report is not None
    cs, ws = cold.report.terms["score"], warm.report.terms["score"]
    return {
        "case": case_name,
        "cold_s": cold_s,
        "cold_score": cs,
        "warm_s": warm_s,
        "warm_score": ws,
        "time_ratio": f"{100 * warm_s / cold_s:.0f}%",
        "score_diff": f"{100 * (ws - cs) / max(1.0, abs(cs)):+.2f}%",
        "valid": cold.report.valid and warm.report.valid,
    }


def format_warm(row: dict[str, Any]) -> str:
    def f(x: Any) -> str:
        return f"{x:.3f}" if isinstance(x, float) else str(x)

    return " | ".join(f(row[k]) for k in WARM_HEADER) + ("" if row["valid"] else " | INVALID")
