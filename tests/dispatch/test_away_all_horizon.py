"""A car on a trip past the horizon's end: `export_scenario` writes `plugged_in_from_slot` =
`slots` for it (energy/problem.py), the spec sets no upper bound, and the hub must still be
planned (it was a one-line "must be <= slots - 1" error, so the whole hub went unplanned)."""

from __future__ import annotations

import pytest

from energy.dispatch import ScenarioError, check_plan, parse_scenario, solve
from tests.dispatch.factories import booking, private, scenario, vehicle


@pytest.mark.parametrize("back", [96, 97, 250])
def test_a_car_back_after_the_horizon_is_planned_as_away_all_along(back: int) -> None:
    doc = scenario(
        n=96,
        vehicles=[
            vehicle("car-1"),
            vehicle("on-trip", plugged_in_from_slot=back, max_discharge_kw=11.0),
            private("visitor", back + 8, 40.0, plugged_in_from_slot=back),
        ],
        bookings=[booking("b-1", 32, 48, 100.0)],
    )
    doc["flexibility"] = {"up_eur_per_kw": [0.004] * 96, "down_eur_per_kw": [0.003] * 96}
    scn = parse_scenario(doc)
    assert [v.plugged_in_from_slot for v in scn.vehicles] == [0, 96, 96]
    plan = solve(scn, time_limit=20.0)
    result = check_plan(scn, plan)
    assert result.valid, result.violations[:5]
    assert plan.assignments["b-1"] == "car-1"
    for vid in ("on-trip", "visitor"):
        assert not any(plan.power_kw[vid])
        assert not any((plan.flex_up_kw or {}).get(vid, [0.0]))
        assert not any((plan.flex_down_kw or {}).get(vid, [0.0]))


def test_a_booking_bound_to_a_car_back_after_the_horizon_is_still_an_error() -> None:
    doc = scenario(
        n=96,
        vehicles=[vehicle("on-trip", plugged_in_from_slot=96)],
        bookings=[booking("b-1", 32, 48, 100.0, vehicle="on-trip")],
    )
    with pytest.raises(ScenarioError, match="away until slot 96"):
        parse_scenario(doc)


def test_a_private_car_still_leaves_after_it_arrives() -> None:
    doc = scenario(n=96, vehicles=[private("visitor", 100, 40.0, plugged_in_from_slot=120)])
    with pytest.raises(ScenarioError, match="departure_slot: must be >= 121"):
        parse_scenario(doc)
