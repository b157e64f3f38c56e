"""The lower bound a plan's gap is stated against (`plan_scenario --bound`): never part of
planning, computed after the plan in its own budget."""

from __future__ import annotations

import time

from .core import Arrays
from .lp import build_and_solve
from .plan import Summary
from .scenario import Scenario


def relaxation_bound(
    scn: Scenario, arr: Arrays, summary: Summary, budget: float, solver: str
) -> None:
    """The larger of two LP relaxations, each a lower bound on every plan's score: the pooled
    one (shared cars of one model in one class whatever their initial charge: seconds even at
    1,000 cars, weaker) first, then the per-car one in the rest of `budget`."""
    began = time.perf_counter()
    found: list[tuple[float, str]] = []
    pooled = build_and_solve(scn, arr, "relaxed", time_limit=budget, solver=solver, pool_initial=1)
    if pooled.status == "OPTIMAL" and pooled.objective is not None:
        found.append(
            (
                pooled.objective,
                "LP relaxation of the whole problem (assignment relaxed; shared cars of one "
                "model pooled whatever their initial charge)",
            )
        )
    left = budget - (time.perf_counter() - began)
    if left > 1.0:
        full = build_and_solve(scn, arr, "relaxed", time_limit=left, solver=solver)
        if full.status == "OPTIMAL" and full.objective is not None:
            found.append(
                (full.objective, "LP relaxation of the whole problem (assignment relaxed)")
            )
    if found:
        summary.bound, summary.bound_source = max(found)
