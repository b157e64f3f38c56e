"""Dispatcher tests need no database; these helpers solve and check in one call."""

from __future__ import annotations

from typing import Any

import pytest

from energy.dispatch import Plan, Scenario, check_plan, parse_scenario, solve
from energy.dispatch.baselines import baseline_plan


def solve_checked(
    doc: dict[str, Any], *, time_limit: float = 30.0, compute_bound: bool = False
) -> tuple[Scenario, Plan]:
    """Solve and assert what every test needs: the plan passes the independent checker."""
    scn = parse_scenario(doc)
    plan = solve(scn, time_limit=time_limit, compute_bound=compute_bound)
    result = check_plan(scn, plan)
    assert result.valid, result.violations[:5]
    for kind in ("uncontrolled", "greedy"):
        base = check_plan(scn, baseline_plan(scn, kind))
        assert base.valid, (kind, base.violations[:5])
    return scn, plan


@pytest.fixture
def solved() -> Any:
    return solve_checked
