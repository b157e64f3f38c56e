"""Hub dispatcher: a pure package (no Django) from scenario dataclasses to a plan.

See `model.py` for the mathematical model and the strict readings of the spec.
"""

from __future__ import annotations

from .baselines import baseline_plan
from .check import CheckResult, check_plan
from .plan import Plan, PlanError, parse_plan, parse_plan_text
from .scenario import Scenario, ScenarioError, parse_scenario, parse_scenario_text
from .solver import solve

__all__ = [
    "CheckResult",
    "Plan",
    "PlanError",
    "Scenario",
    "ScenarioError",
    "baseline_plan",
    "check_plan",
    "parse_plan",
    "parse_plan_text",
    "parse_scenario",
    "parse_scenario_text",
    "solve",
]
