"""The independent checker catches each rule; a plan that breaks one has no score."""

from __future__ import annotations

from energy.dispatch import Plan, check_plan, parse_scenario
from tests.dispatch.factories import booking, private, scenario, vehicle

N = 96


def _plan(assign: dict[str, str | None], power: dict[str, list[float]], **kw: object) -> Plan:
    return Plan(scenario="test", assignments=assign, power_kw=power, **kw)  # type: ignore[arg-type]


def _zeros() -> list[float]:
    return [0.0] * N


def test_rule_3_power_while_on_a_trip() -> None:
    scn = parse_scenario(scenario(vehicles=[vehicle("a")], bookings=[booking("b", 10, 20, 10)]))
    p = _zeros()
    p[12] = 3.0
    res = check_plan(scn, _plan({"b": "a"}, {"a": p}))
    assert any(v.startswith("rule 3: vehicle a slot 12") for v in res.violations)


def test_rule_6_promise_broken() -> None:
    scn = parse_scenario(
        scenario(
            vehicles=[vehicle("a", initial_soc_kwh=10.0)], bookings=[booking("b", 10, 20, 100.0)]
        )
    )
    res = check_plan(scn, _plan({"b": "a"}, {"a": _zeros()}))
    assert any(v.startswith("rule 6: booking b") for v in res.violations)


def test_rule_7_grid_limit() -> None:
    doc = scenario(vehicles=[vehicle("a"), vehicle("b")], bookings=[])
    doc["site"]["grid_import_limit_kw"] = 50.0
    doc["site"]["pv_kw"] = _zeros()
    scn = parse_scenario(doc)
    p = _zeros()
    p[0] = 11.0
    res = check_plan(scn, _plan({}, {"a": p, "b": p}))
    assert any(v.startswith("rule 7: slot 0") for v in res.violations)


def test_rule_8_flex_that_would_empty_the_battery() -> None:
    doc = scenario(vehicles=[vehicle("a", initial_soc_kwh=5.5, max_discharge_kw=11.0)], bookings=[])
    doc["flexibility"] = {"up_eur_per_kw": [0.01] * N, "down_eur_per_kw": [0.0] * N}
    scn = parse_scenario(doc)
    up = [5.0] * N
    res = check_plan(scn, _plan({}, {"a": _zeros()}, flex_up_kw={"a": up}))
    assert any(v.startswith("rule 8/5: vehicle a") for v in res.violations)


def test_rule_1_bound_booking_reassigned() -> None:
    scn = parse_scenario(scenario(bookings=[booking("b", 10, 20, 10.0, vehicle="car-1")]))
    res = check_plan(scn, _plan({"b": "car-2"}, {"car-1": _zeros(), "car-2": _zeros()}))
    assert any(v.startswith("rule 1: booking b is bound") for v in res.violations)


def test_private_shortfall_is_scored_not_forbidden() -> None:
    scn = parse_scenario(
        scenario(vehicles=[private("p", 40, 30.0, initial_soc_kwh=10.0)], bookings=[])
    )
    res = check_plan(scn, _plan({}, {"p": _zeros()}))
    assert res.valid
    assert abs(res.terms.shortfall_kwh - 20.0) < 1e-9
    assert abs(res.terms.shortfall_penalty - 100.0) < 1e-9


def test_terminal_value_counts_cars_in_the_horizon_only() -> None:
    doc = scenario(
        vehicles=[vehicle("a", initial_soc_kwh=25.0), private("p", 40, 10.0, initial_soc_kwh=30.0)],
        bookings=[],
    )
    doc["terminal_value_eur_per_kwh"] = 0.1
    scn = parse_scenario(doc)
    res = check_plan(scn, _plan({}, {"a": _zeros(), "p": _zeros()}))
    assert abs(res.terms.terminal_value - 0.1 * (25.0 - 5.0)) < 1e-9  # p has departed
