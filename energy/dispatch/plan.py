"""The plan (`v2g-hub-plan/1`) as a dataclass, its JSON writer and a strict reader.

The reader exists for `check_plan`: a plan from any source is judged, so its shape is checked
as strictly as a scenario's (every booking and vehicle present, arrays of `slots` finite numbers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .fields import load_json, read_number
from .scenario import Scenario, ScenarioError

PLAN_FORMAT = "v2g-hub-plan/1"


class PlanError(ScenarioError):
    """A plan document that does not have the spec's shape."""


@dataclass(frozen=True)
class StageTime:
    """One stage of `solve()`: how long it took and what came of it."""

    stage: str
    seconds: float
    outcome: str  # "improved", "not better", "no plan", ...


@dataclass
class Summary:
    """What `solve()` says about its plan; written into the plan as `summary` (`as_dict`).

    `fallback` is true when the plan is the safe plan (no stage did better in time), `stage`
    names the stage whose plan this is, `bound` is only set when asked (`compute_bound`).
    """

    solver: str
    status: str  # "COMPLETE", "TIME_LIMIT" or "FALLBACK (safe plan)"
    stage: str
    fallback: bool
    seconds: float
    valid: bool
    terms: dict[str, float]
    stages: list[StageTime] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flexibility: str | None = None
    band_unkept_slots: list[int] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    bound: float | None = None
    bound_source: str | None = None
    gap: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "solver": self.solver,
            "status": self.status,
            "stage": self.stage,
            "fallback": self.fallback,
            "stages": [
                {"stage": s.stage, "seconds": s.seconds, "outcome": s.outcome} for s in self.stages
            ],
            "seconds": self.seconds,
            "valid": self.valid,
            "terms": dict(self.terms),
            "notes": list(self.notes),
        }
        if self.flexibility is not None:
            out["flexibility"] = self.flexibility
        if self.band_unkept_slots:
            out["band_unkept_slots"] = list(self.band_unkept_slots)
        if self.violations:
            out["violations"] = list(self.violations)
        if self.bound_source is not None:
            out["bound_source"] = self.bound_source
        out["bound"] = self.bound
        out["gap"] = self.gap
        return out


@dataclass
class Plan:
    scenario: str
    assignments: dict[str, str | None]
    power_kw: dict[str, list[float]]
    flex_up_kw: dict[str, list[float]] | None = None
    flex_down_kw: dict[str, list[float]] | None = None
    # the document's free-form summary (as read, or `report.as_dict()` for a solved plan)
    summary: dict[str, Any] = field(default_factory=dict)
    # the solver's own account, typed (None for a plan read from a file or a baseline)
    report: Summary | None = None

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": PLAN_FORMAT,
            "scenario": self.scenario,
            "assignments": dict(self.assignments),
            "power_kw": {k: [float(x) for x in v] for k, v in self.power_kw.items()},
        }
        if self.flex_up_kw is not None:
            out["flex_up_kw"] = {k: [float(x) for x in v] for k, v in self.flex_up_kw.items()}
        if self.flex_down_kw is not None:
            out["flex_down_kw"] = {k: [float(x) for x in v] for k, v in self.flex_down_kw.items()}
        out["summary"] = self.summary
        return out

    def to_json(self) -> str:
        # allow_nan=False: the spec says every number is finite; fail loudly rather than emit NaN.
        return json.dumps(self.to_json_dict(), indent=1, allow_nan=False) + "\n"


def parse_plan_text(text: str, scenario: Scenario) -> Plan:
    return parse_plan(load_json(text, "plan"), scenario)


def parse_plan(data: Any, scenario: Scenario) -> Plan:
    """Read a plan for `scenario`; raise `PlanError` (one line) when its shape is wrong."""
    if not isinstance(data, dict):
        raise PlanError("plan: must be an object")
    allowed = {
        "format",
        "scenario",
        "assignments",
        "power_kw",
        "flex_up_kw",
        "flex_down_kw",
        "summary",
    }
    for key in data:
        if key not in allowed:
            raise PlanError(f"plan.{key}: unknown key")
    for key in ("format", "scenario", "assignments", "power_kw", "summary"):
        if key not in data:
            raise PlanError(f"plan.{key}: required key is missing")
    if data["format"] != PLAN_FORMAT:
        raise PlanError(f"plan.format: must be {PLAN_FORMAT!r}")
    if not isinstance(data["scenario"], str):
        raise PlanError("plan.scenario: must be a string")
    if not isinstance(data["summary"], dict):
        raise PlanError("plan.summary: must be an object")
    raw = data["assignments"]
    if not isinstance(raw, dict):
        raise PlanError("plan.assignments: must be an object")
    booking_ids = {b.id for b in scenario.bookings}
    vehicle_ids = {v.id for v in scenario.vehicles}
    assignments: dict[str, str | None] = {}
    for bid, vid in raw.items():
        if bid not in booking_ids:
            raise PlanError(f"plan.assignments.{bid}: unknown booking")
        if vid is not None and not isinstance(vid, str):
            raise PlanError(f"plan.assignments.{bid}: must be a vehicle id or null")
        if vid is not None and vid not in vehicle_ids:
            raise PlanError(f"plan.assignments.{bid}: unknown vehicle {vid!r}")
        assignments[bid] = vid
    for b in scenario.bookings:
        if b.id not in assignments:
            raise PlanError(f"plan.assignments.{b.id}: every booking must appear")
    power = _series(data["power_kw"], "plan.power_kw", scenario, required=True, lo=None)
    assert power is not None
    up = _series(data.get("flex_up_kw"), "plan.flex_up_kw", scenario, required=False, lo=0.0)
    down = _series(data.get("flex_down_kw"), "plan.flex_down_kw", scenario, required=False, lo=0.0)
    return Plan(
        scenario=data["scenario"],
        assignments=assignments,
        power_kw=power,
        flex_up_kw=up,
        flex_down_kw=down,
        summary=data["summary"],
    )


def _series(
    raw: Any, path: str, scenario: Scenario, *, required: bool, lo: float | None
) -> dict[str, list[float]] | None:
    if raw is None and not required:
        return None
    if not isinstance(raw, dict):
        raise PlanError(f"{path}: must be an object of vehicle id -> number[{scenario.slots}]")
    ids = {v.id for v in scenario.vehicles}
    out: dict[str, list[float]] = {}
    for vid, arr in raw.items():
        if vid not in ids:
            raise PlanError(f"{path}.{vid}: unknown vehicle")
        if not isinstance(arr, list) or len(arr) != scenario.slots:
            raise PlanError(f"{path}.{vid}: must have {scenario.slots} numbers")
        try:
            out[vid] = [read_number(x, f"{path}.{vid}[{i}]", lo=lo) for i, x in enumerate(arr)]
        except ScenarioError as exc:
            raise PlanError(str(exc)) from None
    if required:
        for vid in sorted(ids - set(out)):
            raise PlanError(f"{path}.{vid}: every vehicle must appear")
    return out
