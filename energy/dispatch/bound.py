"""The lower bound a plan's gap is stated against (`plan_scenario --bound`, and the benchmark's
captured share): never part of planning, computed after the plan in its own budget."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .core import Arrays
from .lp import build_and_solve
from .scenario import Scenario

POOLED = (
    "LP relaxation of the whole problem (assignment relaxed; shared cars of one model pooled "
    "whatever their initial charge)"
)
PER_CAR = "LP relaxation of the whole problem (assignment relaxed)"


@dataclass(frozen=True)
class Bound:
    value: float | None  # None: neither relaxation was solved to optimality in the budget
    source: str  # POOLED or PER_CAR: the one that counted ("" without a value)
    status: str  # how each relaxation ended, e.g. "pooled OPTIMAL in 3 s; per-car TIME_LIMIT ..."


def relaxation_bound(scn: Scenario, arr: Arrays, budget: float, solver: str = "highs") -> Bound:
    """The larger of two LP relaxations, each a lower bound on every plan's score: the pooled
    one (shared cars of one model in one class whatever their initial charge: seconds even at
    1,000 cars, weaker) first, then the per-car one in the rest of `budget`."""
    began = time.perf_counter()
    runs = [
        (
            "pooled",
            POOLED,
            build_and_solve(scn, arr, "relaxed", time_limit=budget, solver=solver, pool_initial=1),
        )
    ]
    left = budget - (time.perf_counter() - began)
    if left > 1.0:
        runs.append(
            (
                "per-car",
                PER_CAR,
                build_and_solve(scn, arr, "relaxed", time_limit=left, solver=solver),
            )
        )
    found = [
        (r.objective, source)
        for _, source, r in runs
        if r.status == "OPTIMAL" and r.objective is not None
    ]
    status = "; ".join(f"{name} {r.status} in {r.seconds:.0f} s" for name, _, r in runs)
    if not found:
        return Bound(None, "", status)
    value, source = max(found)
    return Bound(value, source, status)
