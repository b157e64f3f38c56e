"""Steps 2-3 for one assignment: the fixed LP, bookings the grid cannot feed left unserved, the
grid band kept where it can be (`keepband.py`), and the LP solution post-processed into a plan."""

from __future__ import annotations

import time

from .core import Arrays
from .keepband import keep_band
from .lp import LPResult, build_and_solve
from .plan import Plan
from .postprocess import postprocess
from .scenario import Scenario


def plan_for(
    scn: Scenario,
    arr: Arrays,
    assignment: dict[str, str | None],
    deadline: float,
    solver: str,
    *,
    with_flex: bool = True,
) -> tuple[Plan | None, LPResult | None, str, list[str]]:
    """Steps 2-3 for one assignment (mutated: bookings the grid cannot feed become null)."""
    notes: list[str] = []
    bound_of = {b.id: b.vehicle for b in scn.bookings}
    res: LPResult | None = None
    for _ in range(4):
        remaining = deadline - time.perf_counter()
        if remaining < 0.1:
            break
        res = build_and_solve(
            scn,
            arr,
            "fixed",
            assignment=assignment,
            time_limit=remaining * 0.9,
            solver=solver,
            with_flex=with_flex and arr.up is not None,
        )
        if res.objective is None:
            break
        failing = [bid for bid, s in res.promise_slack.items() if s > 1e-4]
        droppable = [bid for bid in failing if bound_of[bid] is None]
        if not droppable:
            break
        for bid in droppable:
            assignment[bid] = None
            notes.append(
                f"booking {bid} left unserved: the grid limit cannot charge its car in time"
            )
        res = None

    if res is not None and res.objective is not None and res.grid_slack > 1e-4:
        res = keep_band(scn, arr, assignment, res, deadline, solver, with_flex, notes)

    plan: Plan | None = None
    status = "NO_SOLUTION" if res is None else res.status
    if res is not None and res.objective is not None:
        plan, more = postprocess(scn, arr, assignment, res)
        notes.extend(more)
    return plan, res, status, notes
