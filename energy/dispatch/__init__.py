"""Hub dispatcher: a pure package (no Django) from a scenario (dataclasses) to a plan.

`parse_scenario` reads `v2g-hub-scenario/1` strictly (`ScenarioError`, one line), `solve`
returns a `Plan` (`v2g-hub-plan/1`) that passes `check_plan`, the independent validator and
scorer. `baseline_plan` gives the uncontrolled and greedy references; `bench` builds benchmark
scenarios from the shared real data. The model, which rule each constraint enforces, and every
strict reading of the spec are written down in `energy.dispatch.model`.
"""

from __future__ import annotations

from .baselines import baseline_plan
from .check import CheckResult, check_plan
from .parse import parse_scenario, parse_scenario_text
from .plan import Plan, PlanError, StageTime, Summary, parse_plan, parse_plan_text
from .scenario import Scenario, ScenarioError
from .solver import solve

__all__ = [
    "CheckResult",
    "Plan",
    "PlanError",
    "Scenario",
    "ScenarioError",
    "StageTime",
    "Summary",
    "baseline_plan",
    "check_plan",
    "parse_plan",
    "parse_plan_text",
    "parse_scenario",
    "parse_scenario_text",
    "solve",
]
