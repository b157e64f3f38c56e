"""A re-plan warm from the previous plan: bookings keep their car where it still fits, only
the new ones are searched, and the plan is as good as a cold one on the same scenario."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bench import dispatch as bench
from energy.dispatch import check_plan, parse_scenario, solve
from energy.dispatch.assign import assign
from energy.dispatch.core import Arrays
from tests.dispatch.factories import booking, scenario, vehicle


def _day(extra: list[dict[str, Any]] | None = None, flex: bool = False) -> dict[str, Any]:
    cars = [
        vehicle(f"car-{i}", initial_soc_kwh=15.0 + 5 * i, max_discharge_kw=11.0 if i % 2 else 0.0)
        for i in range(6)
    ]
    trips = [booking(f"b{j}", 20 + 6 * j, 32 + 6 * j, 60.0 + 10 * (j % 3)) for j in range(8)]
    doc = scenario(n=96, vehicles=cars, bookings=trips + (extra or []))
    if flex:
        doc["flexibility"] = {"up_eur_per_kw": [0.01] * 96, "down_eur_per_kw": [0.008] * 96}
    return doc


def test_preferred_cars_are_kept_where_they_still_fit() -> None:
    scn = parse_scenario(_day())
    arr = Arrays.of(scn)
    cold = assign(scn, arr)
    # prefer a different feasible car for b0 (one the cost policy did not pick)
    other = next(v.id for v in scn.vehicles if v.id != cold["b0"])
    warm = assign(scn, arr, prefer={"b0": other, "b1": "no-such-car"})
    assert warm["b0"] == other
    assert warm["b1"] is not None  # an unknown preference falls back to the policy


@pytest.mark.parametrize("flex", [False, True])
def test_a_warm_replan_after_one_new_booking_is_as_good_as_a_cold_one(flex: bool) -> None:
    first_doc = _day(flex=flex)
    first = solve(parse_scenario(first_doc), time_limit=20)
    doc = copy.deepcopy(first_doc)
    doc["bookings"].append(booking("new", 44, 56, 90.0))
    scn = parse_scenario(doc)
    previous = {b: v for b, v in first.assignments.items() if v is not None}
    cold = solve(scn, time_limit=20)
    warm = solve(scn, time_limit=20, warm=previous)
    assert check_plan(scn, warm).valid and check_plan(scn, cold).valid
    assert warm.assignments["new"] is not None
    assert warm.report is not None and cold.report is not None
    assert any(n.startswith("warm start:") for n in warm.report.notes)
    # the same quality: within 1 % (or 0.10 EUR) of the cold plan's score
    tolerance = max(0.10, 0.01 * abs(cold.report.terms["score"]))
    assert warm.report.terms["score"] <= cold.report.terms["score"] + tolerance


def test_a_warm_replan_with_nothing_new_skips_the_local_search() -> None:
    doc = _day()
    scn = parse_scenario(doc)
    first = solve(scn, time_limit=20)
    previous = {b: v for b, v in first.assignments.items() if v is not None}
    again = solve(scn, time_limit=20, warm=previous)
    assert again.report is not None
    search = [s for s in again.report.stages if s.stage == "local search"]
    assert [s.outcome for s in search] == ["warm: every booking kept its car"]
    assert again.assignments == first.assignments


@pytest.mark.skipif(not bench.data_available(), reason="shared data (../shared/data) not found")
def test_the_benchmark_measures_a_warm_replan_on_real_data() -> None:
    row = bench.measure_warm("s100", time_limit=4.0)
    assert row["valid"]
    assert row["cold_s"] > 0 and row["warm_s"] > 0
    # no wall-clock target here (a shared machine): only that both plans are comparable
    assert row["warm_score"] <= row["cold_score"] + max(0.5, 0.02 * abs(row["cold_score"]))


def test_a_warm_replan_does_not_wait_for_a_flexibility_lp_that_cannot_finish(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the time left is below what the LP with flexibility takes (FLEX_LP_FACTOR x the
    LP without it), a warm re-plan ends with flexibility around its plan instead of running
    into the deadline; a cold plan tries it, with column generation on the grid rows alongside."""
    from energy.dispatch import solver as solver_module

    first_doc = _day(flex=True)
    first = solve(parse_scenario(first_doc), time_limit=20)
    doc = copy.deepcopy(first_doc)
    doc["bookings"].append(booking("new", 44, 56, 90.0))
    scn = parse_scenario(doc)
    previous = {b: v for b, v in first.assignments.items() if v is not None}
    monkeypatch.setattr(solver_module, "FLEX_LP_FACTOR", 1e9)
    warm = solve(scn, time_limit=20, warm=previous)
    cold = solve(scn, time_limit=20)
    assert warm.report is not None and cold.report is not None
    assert check_plan(scn, warm).valid
    warm_stages = {s.stage: s.outcome for s in warm.report.stages}
    cold_stages = {s.stage: s.outcome for s in cold.report.stages}
    assert warm_stages.get("lp with flexibility") == "skipped: would not finish"
    assert cold_stages.get("lp with flexibility") not in (None, "skipped: would not finish")
    assert "lp with flexibility (column generation)" in cold_stages
    assert check_plan(scn, warm).terms.flex_income > 0  # offered around the plan
