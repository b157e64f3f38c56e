"""Rule 7 before the bookings: a band only the cars can keep is kept by leaving a booking null."""

from __future__ import annotations

from typing import Any

from energy.dispatch import check_plan, parse_scenario, solve
from tests.dispatch.factories import booking, scenario, vehicle


def _forced_import(floor_kw: float, slots: range) -> dict[str, Any]:
    """Two cars, one booked 08:00-12:00; in `slots` the hub must import at least `floor_kw`
    with a 40 kW base load (an activated order for more consumption)."""
    doc = scenario(
        vehicles=[vehicle("car-1"), vehicle("car-2")],
        bookings=[booking("b-1", 32, 48, 100.0)],
    )
    exp = [250.0] * 96
    for t in slots:
        exp[t] = -floor_kw  # an export limit of -58: import at least 58 kW
    doc["site"]["grid_export_limit_kw"] = exp
    return doc


def test_a_booking_gives_way_to_a_forced_import_only_both_cars_can_draw() -> None:
    # 18 kW above the base load needs both 11 kW cars charging: with car-1 or car-2 away on
    # b-1 no plan keeps the band, without the trip one does, so the plan must be valid
    scn = parse_scenario(_forced_import(58.0, range(40, 44)))
    plan = solve(scn, time_limit=20.0)
    result = check_plan(scn, plan)
    assert result.valid, result.violations[:5]
    assert plan.assignments["b-1"] is None
    assert "band_unkept_slots" not in plan.summary


def test_a_booking_away_elsewhere_is_kept_and_the_unkept_slots_are_named() -> None:
    # 40 kW above the base load at 15:00 is more than both cars can draw: no plan keeps the
    # band there, and b-1 (back at 12:00) has nothing to do with it
    scn = parse_scenario(_forced_import(80.0, range(60, 64)))
    plan = solve(scn, time_limit=20.0)
    assert plan.assignments["b-1"] is not None
    assert plan.summary["band_unkept_slots"] == [60, 61, 62, 63]
