"""Strict reading of scenario files: every mistake is a one-line ScenarioError naming the field."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from energy.dispatch import ScenarioError, parse_scenario, parse_scenario_text
from tests.dispatch.factories import booking, private, scenario, vehicle


def _err(doc: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(doc)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_defaults_follow_the_spec() -> None:
    doc = scenario(n=96)
    doc["bookings"] = [{"id": "b", "start_slot": 4, "end_slot": 8, "promised_range_km": 30.0}]
    scn = parse_scenario(doc)
    assert scn.unserved_penalty_eur == 1000.0
    assert scn.shortfall_penalty_eur_per_kwh == 5.0
    assert scn.min_turnaround_slots == 1
    assert scn.terminal_value_eur_per_kwh == pytest.approx(
        sum(doc["prices"]["import_eur_per_kwh"]) / 96
    )
    assert scn.bookings[0].expected_km == 30.0
    assert scn.bookings[0].vehicle is None
    assert scn.vehicles[0].plugged_in_from_slot == 0
    assert scn.flexibility is None


def test_terminal_value_defaults_to_zero_when_mean_price_is_negative() -> None:
    doc = scenario(n=8, bookings=[])
    doc["prices"]["import_eur_per_kwh"] = [-0.05] * 8
    assert parse_scenario(doc).terminal_value_eur_per_kwh == 0.0


def test_unknown_key_is_named() -> None:
    doc = scenario()
    doc["vehicles"][1]["batery_kwh"] = 40
    assert _err(doc) == "vehicles[1].batery_kwh: unknown key"


def test_unknown_top_level_key() -> None:
    doc = scenario()
    doc["grid_limit"] = 3
    assert _err(doc) == "grid_limit: unknown key"


def test_wrong_array_length() -> None:
    doc = scenario(n=96)
    doc["site"]["pv_kw"] = doc["site"]["pv_kw"][:95]
    assert _err(doc).startswith("site.pv_kw: must have 96 entries")


def test_negative_capacity() -> None:
    doc = scenario(vehicles=[vehicle("a", battery_kwh=-1.0)])
    assert _err(doc) == "vehicles[0].battery_kwh: must be > 0"


def test_negative_grid_limit_is_a_forced_export() -> None:
    """Rule 7 (changed spec): a negative import limit asks the hub to export at least that."""
    doc = scenario()
    doc["site"]["grid_import_limit_kw"] = -5
    scn = parse_scenario(doc)
    assert scn.site.grid_import_limit_kw == (-5.0,) * scn.slots


def test_per_slot_grid_limits_parse() -> None:
    doc = scenario(n=96)
    doc["site"]["grid_import_limit_kw"] = [100.0] * 64 + [-10.0] * 32
    doc["site"]["grid_export_limit_kw"] = [50.0] * 48 + [-20.0] * 16 + [50.0] * 32
    scn = parse_scenario(doc)
    assert scn.site.grid_import_limit_kw[70] == -10.0
    assert scn.site.grid_export_limit_kw[50] == -20.0
    assert scn.site.limits_vary


def test_empty_band_is_a_scenario_error() -> None:
    doc = scenario(n=96)
    doc["site"]["grid_import_limit_kw"] = [100.0] * 10 + [-30.0] + [100.0] * 85
    doc["site"]["grid_export_limit_kw"] = 20.0
    assert _err(doc) == (
        "site: slot 10: the grid band is empty (import limit -30 kW is below minus the "
        "export limit 20 kW; rule 7)"
    )


def test_per_slot_limit_of_wrong_length() -> None:
    doc = scenario(n=96)
    doc["site"]["grid_export_limit_kw"] = [10.0] * 95
    assert _err(doc) == "site.grid_export_limit_kw: must have 96 entries (slots), has 95"


def test_grid_limit_must_be_a_number_or_array() -> None:
    doc = scenario()
    doc["site"]["grid_import_limit_kw"] = "lots"
    assert _err(doc) == "site.grid_import_limit_kw: must be a number or an array of 96 numbers"


def test_booking_past_horizon() -> None:
    doc = scenario(n=96, bookings=[booking("late", 90, 97, 10.0)])
    assert _err(doc) == "bookings[0].end_slot: 97 is past the horizon (96 slots)"


def test_unknown_bound_vehicle() -> None:
    doc = scenario(bookings=[booking("b", 4, 8, 10.0, vehicle="ghost")])
    assert _err(doc) == "bookings[0].vehicle: unknown vehicle 'ghost'"


def test_duplicate_ids() -> None:
    doc = scenario(vehicles=[vehicle("a"), vehicle("a")])
    assert _err(doc) == "vehicles[1].id: duplicate id 'a'"
    doc = scenario(bookings=[booking("x", 1, 4, 5.0), booking("x", 10, 14, 5.0)])
    assert _err(doc) == "bookings[1].id: duplicate id 'x'"


def test_non_finite_numbers_are_rejected_in_text() -> None:
    doc = scenario()
    text = json.dumps(doc).replace(
        '"degradation_eur_per_kwh": 0.03', '"degradation_eur_per_kwh": NaN'
    )
    with pytest.raises(ScenarioError, match="non-finite"):
        parse_scenario_text(text)


def test_invalid_json_is_one_line() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text("{not json")
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("scenario: invalid JSON")


def test_booleans_are_not_numbers() -> None:
    doc = scenario()
    doc["slot_minutes"] = True
    assert _err(doc) == "slot_minutes: must be an integer"


def test_bound_overlap_breaks_rule_2() -> None:
    doc = scenario(
        bookings=[
            booking("x", 10, 20, 5.0, vehicle="car-1"),
            booking("y", 20, 30, 5.0, vehicle="car-1"),
        ]
    )
    assert "turnaround" in _err(doc)


def test_bound_booking_in_maintenance() -> None:
    doc = scenario(
        vehicles=[vehicle("car-1", unavailable=[[5, 15]])],
        bookings=[booking("x", 10, 20, 5.0, vehicle="car-1")],
    )
    assert _err(doc) == "bookings[0].vehicle: 'car-1' is unavailable in [5, 15)"


def test_bound_promise_no_car_can_reach() -> None:
    doc = scenario(
        vehicles=[vehicle("car-1", initial_soc_kwh=6.0)],
        bookings=[booking("x", 1, 20, 200.0, vehicle="car-1")],
    )
    assert _err(doc).startswith("bookings[0].promised_range_km: bound vehicle 'car-1'")


def test_private_car_needs_departure() -> None:
    doc = scenario(vehicles=[vehicle("p", kind="private")], bookings=[])
    assert _err(doc) == "vehicles[0].departure_slot: required for a private vehicle"


def test_booking_on_private_car() -> None:
    doc = scenario(
        vehicles=[private("p", 50, 30.0)], bookings=[booking("x", 1, 4, 5.0, vehicle="p")]
    )
    assert "private" in _err(doc)


def test_initial_soc_below_floor() -> None:
    doc = scenario(vehicles=[vehicle("a", initial_soc_kwh=2.0, min_soc_kwh=5.0)])
    assert _err(doc) == "vehicles[0].initial_soc_kwh: must be >= 5"


def test_start_needs_offset() -> None:
    doc = scenario()
    doc["start"] = "2025-06-02T00:00:00"
    assert _err(doc) == "start: must carry a UTC offset"


def test_input_document_is_not_modified() -> None:
    doc = scenario()
    before = copy.deepcopy(doc)
    parse_scenario(doc)
    assert doc == before
