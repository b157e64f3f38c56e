"""Tiny random scenarios against the exact MILP (assignment binaries + the same LP, HiGHS).

The MILP prices all-down flexibility of V2G cars with the relaxation's slope (all-up is exact)
and lets charge and discharge overlap, so its optimum is a lower bound on the true optimum: the
dispatcher can never beat it, and its own stated bound (the LP relaxation) can never exceed it.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energy.dispatch import check_plan, parse_scenario, solve
from energy.dispatch.core import Arrays
from energy.dispatch.lp import build_and_solve
from tests.dispatch.factories import booking, private, scenario, vehicle


@st.composite
def tiny(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(8, 16))
    nveh = draw(st.integers(1, 3))
    vehicles = []
    for i in range(nveh):
        battery = draw(st.sampled_from([20.0, 40.0]))
        vehicles.append(
            vehicle(
                f"s{i}",
                battery_kwh=battery,
                min_soc_kwh=2.0,
                initial_soc_kwh=draw(st.floats(2.0, battery)),
                max_charge_kw=draw(st.sampled_from([7.0, 11.0])),
                max_discharge_kw=draw(st.sampled_from([0.0, 11.0])),
                plugged_in_from_slot=draw(st.integers(0, 2)),
            )
        )
    if draw(st.booleans()):
        vehicles.append(
            private(
                "p", draw(st.integers(4, n + 4)), draw(st.floats(5.0, 40.0)), initial_soc_kwh=5.0
            )
        )
    bookings = []
    for j in range(draw(st.integers(0, 3))):
        s = draw(st.integers(2, n - 2))
        e = draw(st.integers(s + 1, n))
        bookings.append(booking(f"b{j}", s, e, draw(st.floats(0.0, 150.0))))
    price = [draw(st.floats(-0.1, 0.4)) for _ in range(n)]
    doc: dict[str, Any] = {
        "format": "v2g-hub-scenario/1",
        "name": "tiny",
        "timezone": "Europe/Amsterdam",
        "start": "2025-06-02T00:00:00+02:00",
        "slot_minutes": 15,
        "slots": n,
        "site": {
            "grid_import_limit_kw": draw(st.sampled_from([15.0, 30.0, 100.0])),
            "grid_export_limit_kw": 20.0,
            "base_load_kw": [draw(st.floats(0.0, 10.0)) for _ in range(n)],
            "pv_kw": [draw(st.floats(0.0, 20.0)) for _ in range(n)],
        },
        "prices": {"import_eur_per_kwh": price, "export_eur_per_kwh": list(price)},
        "degradation_eur_per_kwh": 0.02,
        "unserved_penalty_eur": 50.0,
        "vehicles": vehicles,
        "bookings": bookings,
    }
    if draw(st.booleans()):
        doc["flexibility"] = {
            "up_eur_per_kw": [draw(st.floats(0.0, 0.02)) for _ in range(n)],
            "down_eur_per_kw": [draw(st.floats(0.0, 0.02)) for _ in range(n)],
        }
    return doc


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(tiny())
def test_dispatcher_against_exact_milp(doc: dict[str, Any]) -> None:
    try:
        scn = parse_scenario(doc)
    except ValueError:
        return  # e.g. a bound booking no car can keep: rejected, nothing to compare
    plan = solve(scn, time_limit=20.0, compute_bound=True)
    result = check_plan(scn, plan)
    assert result.valid, result.violations[:3]
    milp = build_and_solve(scn, Arrays.of(scn), "integer", time_limit=30.0, aggregate=False)
    assert milp.status == "OPTIMAL"
    assert milp.objective is not None
    score = result.terms.score
    assert score >= milp.objective - 1e-4  # nothing beats the exact optimum
    # the decomposition (greedy assignment, then LP) stays close to the optimum on tiny cases
    assert score - milp.objective <= 0.25 * max(1.0, abs(milp.objective)) + 0.5
    bound = plan.summary["bound"]
    if bound is not None:
        assert bound <= milp.objective + 1e-4  # the stated bound is a true bound
        stated = plan.summary["gap"] * max(1.0, abs(score))
        assert score - milp.objective <= stated + 1e-4  # never worse than the stated gap


@st.composite
def one_model(draw: Any) -> dict[str, Any]:
    """Tiny days whose shared cars are one model with different initial charges."""
    doc = draw(tiny())
    n = doc["slots"]
    doc["vehicles"] = [
        vehicle(
            f"s{i}",
            battery_kwh=40.0,
            min_soc_kwh=2.0,
            initial_soc_kwh=draw(st.floats(2.0, 40.0)),
            max_charge_kw=11.0,
            max_discharge_kw=draw(st.sampled_from([0.0, 11.0])) if i == 0 else 11.0,
        )
        for i in range(draw(st.integers(2, 4)))
    ]
    doc["bookings"] = doc["bookings"] or [booking("b0", 2, n, 120.0)]
    return doc


@settings(
    max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(one_model())
def test_pooled_relaxation_is_a_lower_bound_of_the_relaxation_and_the_optimum(
    doc: dict[str, Any],
) -> None:
    """The benchmark's pooled relaxation (cars differing only in initial charge in one class)
    never exceeds the per-car relaxation, which never exceeds the exact optimum."""
    try:
        scn = parse_scenario(doc)
    except ValueError:
        return
    arr = Arrays.of(scn)
    pooled = build_and_solve(scn, arr, "relaxed", time_limit=30.0, pool_initial=1)
    per_car = build_and_solve(scn, arr, "relaxed", time_limit=30.0, aggregate=False)
    milp = build_and_solve(scn, arr, "integer", time_limit=30.0, aggregate=False)
    assert pooled.status == per_car.status == milp.status == "OPTIMAL"
    assert pooled.objective is not None and per_car.objective is not None
    assert milp.objective is not None
    assert pooled.objective <= per_car.objective + 1e-6
    assert per_car.objective <= milp.objective + 1e-4


def test_pooling_merges_cars_that_differ_only_in_initial_charge() -> None:
    from energy.dispatch.lp.layout import vehicle_classes

    doc = scenario(
        vehicles=[
            vehicle("a", battery_kwh=40.0, initial_soc_kwh=10.0),
            vehicle("b", battery_kwh=40.0, initial_soc_kwh=30.0),
            vehicle("c", battery_kwh=60.0, initial_soc_kwh=30.0),
        ],
    )
    scn = parse_scenario(doc)
    per_class = vehicle_classes(scn, False, aggregate=True, only=None)
    pooled = vehicle_classes(scn, False, aggregate=True, only=None, pool_initial=1)
    assert len(per_class) == 3
    assert sorted(len(c.members) for c in pooled) == [1, 2]
