"""Column generation on the grid rows (`colgen.py`): the fixed LP with flexibility, anytime."""

from __future__ import annotations

import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energy.dispatch import check_plan, parse_scenario
from energy.dispatch.assign import assign
from energy.dispatch.colgen import colgen, flex_by_colgen
from energy.dispatch.core import Arrays
from energy.dispatch.lp import build_and_solve
from energy.dispatch.postprocess import postprocess
from tests.dispatch.factories import booking, scenario, vehicle


@st.composite
def flexible(draw: Any) -> dict[str, Any]:
    """A few shared cars (V2G or not) under a tight grid, with flexibility prices."""
    n = draw(st.integers(8, 20))
    vehicles = [
        vehicle(
            f"s{i}",
            initial_soc_kwh=draw(st.floats(8.0, 45.0)),
            max_discharge_kw=draw(st.sampled_from([0.0, 11.0])),
        )
        for i in range(draw(st.integers(1, 4)))
    ]
    imp = [draw(st.floats(0.0, 0.3)) for _ in range(n)]
    doc = scenario(
        n,
        vehicles,
        [booking("b", 3, min(n, 9), draw(st.floats(0.0, 60.0)))],
        prices={"import_eur_per_kwh": imp, "export_eur_per_kwh": [x * 0.8 for x in imp]},
    )
    doc["site"] = {
        "grid_import_limit_kw": draw(st.sampled_from([15.0, 25.0, 60.0])),
        "grid_export_limit_kw": draw(st.sampled_from([5.0, 15.0, 60.0])),
        "base_load_kw": [draw(st.floats(0.0, 10.0)) for _ in range(n)],
        "pv_kw": [draw(st.sampled_from([0.0, 5.0, 30.0])) for _ in range(n)],
    }
    doc["flexibility"] = {
        "up_eur_per_kw": [draw(st.floats(0.0, 0.05)) for _ in range(n)],
        "down_eur_per_kw": [draw(st.floats(0.0, 0.05)) for _ in range(n)],
    }
    return doc


@settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(flexible())
def test_column_generation_reaches_the_lp_with_flexibility(doc: dict[str, Any]) -> None:
    scn = parse_scenario(doc)
    arr = Arrays.of(scn)
    assignment = assign(scn, arr)
    full = build_and_solve(scn, arr, "fixed", assignment=assignment, time_limit=20.0)
    start = build_and_solve(
        scn, arr, "fixed", assignment=assignment, time_limit=20.0, with_flex=False
    )
    assert full.objective is not None and start.objective is not None
    res, how = colgen(scn, arr, assignment, start.c, start.d, time.perf_counter() + 30.0)
    assert res is not None and res.objective is not None, how
    # no worse than the plan it started from, and (converged) the LP with flexibility itself
    assert res.objective <= start.objective + 1e-6
    assert abs(res.objective - full.objective) <= 1e-4 * max(1.0, abs(full.objective)), how
    plan, _ = postprocess(scn, arr, assignment, res)
    assert plan is not None and check_plan(scn, plan).valid


def _hub(n: int = 96, cars: int = 12) -> dict[str, Any]:
    """A hub whose export limit binds under all-up activation: flexibility must be shared."""
    vehicles = [
        vehicle(f"car-{i}", initial_soc_kwh=20.0 + i, max_discharge_kw=11.0 if i % 3 else 0.0)
        for i in range(cars)
    ]
    bookings = [booking(f"b{j}", 30 + 5 * j, 44 + 5 * j, 80.0) for j in range(cars // 2)]
    doc = scenario(n=n, vehicles=vehicles, bookings=bookings)
    doc["site"]["grid_export_limit_kw"] = 20.0
    doc["site"]["grid_import_limit_kw"] = 60.0
    doc["flexibility"] = {
        "up_eur_per_kw": [0.02 + 0.01 * ((t // 8) % 3) for t in range(n)],
        "down_eur_per_kw": [0.01] * n,
    }
    return doc


def test_an_early_deadline_still_gives_a_checked_master_plan() -> None:
    """Anytime: stopped after a few rounds, the master's plan is still a plan of the fixed LP."""
    scn = parse_scenario(_hub())
    arr = Arrays.of(scn)
    assignment = assign(scn, arr)
    start = build_and_solve(scn, arr, "fixed", assignment=assignment, with_flex=False)
    assert start.objective is not None
    offered: list[Any] = []

    def offer(plan: Any) -> tuple[str, Any]:
        chk = check_plan(scn, plan) if plan is not None else None
        offered.append(chk)
        return ("improved" if chk is not None and chk.valid else "no plan"), chk

    began = time.perf_counter()
    outcome, how, _optimal = flex_by_colgen(scn, arr, assignment, start, began + 1.5, offer)
    assert time.perf_counter() - began < 1.5 + 1.0  # the deadline holds (with the last check)
    assert outcome == "improved", how
    assert offered and all(chk is not None and chk.valid for chk in offered)
    assert "column generation" in how and "EUR of flexibility" in how


def test_the_solver_falls_back_on_column_generation_when_the_flex_lp_cannot_finish(
    monkeypatch: Any,
) -> None:
    """Where the LP with flexibility does not finish, column generation alongside it still
    gets near its optimum: better than the flexibility around the plan, which is all that is
    left without it."""
    from energy.dispatch import flexstages, solve
    from energy.dispatch import solver as solver_module
    from energy.dispatch.lp import LPResult

    def hopeless(*args: Any, **kwargs: Any) -> tuple[LPResult, str]:
        return LPResult("TIME_LIMIT", "highs", 0.0, None, None), "LP: did not finish"

    scn = parse_scenario(_hub())
    monkeypatch.setattr(solver_module, "FLEX_LP_FACTOR", 1e9)
    monkeypatch.setattr(flexstages, "solve_fixed", hopeless)
    with_cg = solve(scn, time_limit=20)
    monkeypatch.setattr(
        flexstages, "flex_by_colgen", lambda *a, **k: ("no plan", "column generation: off", False)
    )
    without = solve(scn, time_limit=20)
    stages = {s["stage"]: s["outcome"] for s in with_cg.summary["stages"]}
    assert stages["lp with flexibility (column generation)"] == "improved"
    assert with_cg.summary["stage"] == "lp with flexibility (column generation)"
    assert "column generation" in with_cg.summary["flexibility"]
    a, b = check_plan(scn, with_cg), check_plan(scn, without)
    assert a.valid and b.valid
    assert a.terms.flex_income > b.terms.flex_income > 0
    assert a.terms.score < b.terms.score - 1.0  # EUR: measured 11.7 on this hub
