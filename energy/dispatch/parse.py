"""The strict parser of `v2g-hub-scenario/1`: a decoded JSON document to a `Scenario`.

Strictness is the point: a typo in a key, a NaN or an array of the wrong length must not silently
change a plan, so every problem becomes a `ScenarioError` whose message is one line naming the
field (``vehicles[3].battery_kwh: must be > 0``). The parser also rejects scenarios for which no
valid plan can exist because of one vehicle alone (a bound booking that breaks rule 2, or whose
promise the car cannot reach even charging flat out); see `energy.dispatch.model` for every
strict reading taken.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .fields import load_json, read_array, read_int, read_number, read_object, read_str
from .scenario import (
    MAX_SLOTS,
    SCENARIO_FORMAT,
    Booking,
    Flexibility,
    Scenario,
    ScenarioError,
    Site,
    Vehicle,
    trip_need_kwh,
)


def _limit(value: Any, path: str, n: int) -> tuple[float, ...]:
    """Rule 7: one number for every slot or one per slot; either may be negative (a forced
    import or export in that slot), the band's emptiness is checked by the caller."""
    if isinstance(value, list):
        return read_array(value, path, n)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{path}: must be a number or an array of {n} numbers")
    return (read_number(value, path),) * n


_TOP_REQUIRED = {
    "format",
    "name",
    "timezone",
    "start",
    "slot_minutes",
    "slots",
    "site",
    "prices",
    "degradation_eur_per_kwh",
    "vehicles",
    "bookings",
}
_TOP_OPTIONAL = {
    "unserved_penalty_eur",
    "shortfall_penalty_eur_per_kwh",
    "terminal_value_eur_per_kwh",
    "min_turnaround_slots",
    "flexibility",
}
_VEHICLE_REQUIRED = {
    "id",
    "kind",
    "battery_kwh",
    "initial_soc_kwh",
    "min_soc_kwh",
    "max_charge_kw",
    "max_discharge_kw",
    "charge_efficiency",
    "discharge_efficiency",
    "consumption_kwh_per_km",
}
_VEHICLE_OPTIONAL = {"plugged_in_from_slot", "unavailable", "departure_slot", "departure_soc_kwh"}
_BOOKING_REQUIRED = {"id", "start_slot", "end_slot", "promised_range_km"}
_BOOKING_OPTIONAL = {"expected_km", "vehicle"}


def parse_scenario_text(text: str) -> Scenario:
    return parse_scenario(load_json(text, "scenario"))


def parse_scenario(data: Any) -> Scenario:
    """Validate a decoded JSON document against the spec and return the `Scenario`."""
    top = read_object(data, "", _TOP_REQUIRED, _TOP_OPTIONAL)
    if top["format"] != SCENARIO_FORMAT:
        raise ScenarioError(f"format: must be {SCENARIO_FORMAT!r}")
    name = read_str(top["name"], "name")
    tz = read_str(top["timezone"], "timezone")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScenarioError(f"timezone: unknown IANA zone {tz!r}") from None
    start = read_str(top["start"], "start")
    try:
        start_dt = datetime.fromisoformat(start)
    except ValueError:
        raise ScenarioError("start: must be an ISO 8601 instant") from None
    if start_dt.tzinfo is None:
        raise ScenarioError("start: must carry a UTC offset")
    slot_minutes = read_int(top["slot_minutes"], "slot_minutes", lo=1, hi=1440)
    n = read_int(top["slots"], "slots", lo=1, hi=MAX_SLOTS)

    s = read_object(
        top["site"],
        "site",
        {"grid_import_limit_kw", "grid_export_limit_kw", "base_load_kw", "pv_kw"},
        set(),
    )
    imp_lim = _limit(s["grid_import_limit_kw"], "site.grid_import_limit_kw", n)
    exp_lim = _limit(s["grid_export_limit_kw"], "site.grid_export_limit_kw", n)
    for t, (lim_in, lim_out) in enumerate(zip(imp_lim, exp_lim, strict=True)):
        if lim_in < -lim_out:
            raise ScenarioError(
                f"site: slot {t}: the grid band is empty (import limit {lim_in:g} kW is below "
                f"minus the export limit {lim_out:g} kW; rule 7)"
            )
    site = Site(
        grid_import_limit_kw=imp_lim,
        grid_export_limit_kw=exp_lim,
        base_load_kw=read_array(s["base_load_kw"], "site.base_load_kw", n, lo=0),
        pv_kw=read_array(s["pv_kw"], "site.pv_kw", n, lo=0),
    )
    p = read_object(top["prices"], "prices", {"import_eur_per_kwh", "export_eur_per_kwh"}, set())
    imp = read_array(p["import_eur_per_kwh"], "prices.import_eur_per_kwh", n)
    exp = read_array(p["export_eur_per_kwh"], "prices.export_eur_per_kwh", n)

    flex: Flexibility | None = None
    if "flexibility" in top:
        f = read_object(
            top["flexibility"], "flexibility", {"up_eur_per_kw", "down_eur_per_kw"}, set()
        )
        flex = Flexibility(
            up_eur_per_kw=read_array(f["up_eur_per_kw"], "flexibility.up_eur_per_kw", n, lo=0),
            down_eur_per_kw=read_array(
                f["down_eur_per_kw"], "flexibility.down_eur_per_kw", n, lo=0
            ),
        )

    mean_import = sum(imp) / n
    terminal_default = mean_import if mean_import > 0 else 0.0
    turnaround = read_int(top.get("min_turnaround_slots", 1), "min_turnaround_slots", lo=0)

    if not isinstance(top["vehicles"], list):
        raise ScenarioError("vehicles: must be an array")
    vehicles = tuple(_vehicle(v, f"vehicles[{i}]", n) for i, v in enumerate(top["vehicles"]))
    seen: set[str] = set()
    for i, v in enumerate(vehicles):
        if v.id in seen:
            raise ScenarioError(f"vehicles[{i}].id: duplicate id {v.id!r}")
        seen.add(v.id)
    by_id = {v.id: v for v in vehicles}

    if not isinstance(top["bookings"], list):
        raise ScenarioError("bookings: must be an array")
    bookings = tuple(_booking(b, f"bookings[{i}]", n, by_id) for i, b in enumerate(top["bookings"]))
    seen = set()
    for i, b in enumerate(bookings):
        if b.id in seen:
            raise ScenarioError(f"bookings[{i}].id: duplicate id {b.id!r}")
        seen.add(b.id)
    _check_bound(bookings, by_id, turnaround, slot_minutes / 60.0, n)

    return Scenario(
        name=name,
        timezone=tz,
        start=start,
        slot_minutes=slot_minutes,
        slots=n,
        site=site,
        import_eur_per_kwh=imp,
        export_eur_per_kwh=exp,
        degradation_eur_per_kwh=read_number(
            top["degradation_eur_per_kwh"], "degradation_eur_per_kwh", lo=0
        ),
        unserved_penalty_eur=read_number(
            top.get("unserved_penalty_eur", 1000.0), "unserved_penalty_eur", lo=0
        ),
        shortfall_penalty_eur_per_kwh=read_number(
            top.get("shortfall_penalty_eur_per_kwh", 5.0), "shortfall_penalty_eur_per_kwh", lo=0
        ),
        terminal_value_eur_per_kwh=read_number(
            top.get("terminal_value_eur_per_kwh", terminal_default),
            "terminal_value_eur_per_kwh",
            lo=0,
        ),
        min_turnaround_slots=turnaround,
        flexibility=flex,
        vehicles=vehicles,
        bookings=bookings,
    )


def _vehicle(raw: Any, path: str, n: int) -> Vehicle:
    v = read_object(raw, path, _VEHICLE_REQUIRED, _VEHICLE_OPTIONAL)
    vid = read_str(v["id"], f"{path}.id")
    if not vid:
        raise ScenarioError(f"{path}.id: must not be empty")
    kind = v["kind"]
    if kind not in ("shared", "private"):
        raise ScenarioError(f"{path}.kind: must be 'shared' or 'private'")
    battery = read_number(v["battery_kwh"], f"{path}.battery_kwh", lo=0, lo_open=True)
    min_soc = read_number(v["min_soc_kwh"], f"{path}.min_soc_kwh", lo=0, hi=battery)
    # Strict reading: a plan must satisfy rule 5 at plug-in, so the scenario must allow it.
    initial = read_number(v["initial_soc_kwh"], f"{path}.initial_soc_kwh", lo=min_soc, hi=battery)
    # A car whose trip ends at or after the horizon's end is away all along: the spec sets no
    # upper bound, and `export_scenario` writes `slots` for it (energy/problem.py), so any
    # later slot reads as the horizon's end (rule 3 is the same inside the horizon).
    raw_p0 = read_int(v.get("plugged_in_from_slot", 0), f"{path}.plugged_in_from_slot", lo=0)
    p0 = min(raw_p0, n)
    windows_raw = v.get("unavailable", [])
    if not isinstance(windows_raw, list):
        raise ScenarioError(f"{path}.unavailable: must be an array of [from_slot, to_slot)")
    windows: list[tuple[int, int]] = []
    for j, w in enumerate(windows_raw):
        wp = f"{path}.unavailable[{j}]"
        if not isinstance(w, list) or len(w) != 2:
            raise ScenarioError(f"{wp}: must be [from_slot, to_slot]")
        a = read_int(w[0], f"{wp}[0]", lo=0, hi=n - 1)
        b = read_int(w[1], f"{wp}[1]", lo=a + 1, hi=n)
        windows.append((a, b))
    dep: int | None = None
    dep_soc: float | None = None
    if kind == "private":
        # Strict reading: a resident's car always states when it leaves and what it needs.
        for key in ("departure_slot", "departure_soc_kwh"):
            if key not in v:
                raise ScenarioError(f"{path}.{key}: required for a private vehicle")
        dep = read_int(v["departure_slot"], f"{path}.departure_slot", lo=raw_p0 + 1)
        dep_soc = read_number(v["departure_soc_kwh"], f"{path}.departure_soc_kwh", lo=0, hi=battery)
    else:
        for key in ("departure_slot", "departure_soc_kwh"):
            if key in v:
                raise ScenarioError(f"{path}.{key}: only allowed for a private vehicle")
    return Vehicle(
        id=vid,
        kind=kind,
        battery_kwh=battery,
        initial_soc_kwh=initial,
        min_soc_kwh=min_soc,
        max_charge_kw=read_number(v["max_charge_kw"], f"{path}.max_charge_kw", lo=0),
        max_discharge_kw=read_number(v["max_discharge_kw"], f"{path}.max_discharge_kw", lo=0),
        charge_efficiency=read_number(
            v["charge_efficiency"], f"{path}.charge_efficiency", lo=0, lo_open=True, hi=1
        ),
        discharge_efficiency=read_number(
            v["discharge_efficiency"], f"{path}.discharge_efficiency", lo=0, lo_open=True, hi=1
        ),
        consumption_kwh_per_km=read_number(
            v["consumption_kwh_per_km"], f"{path}.consumption_kwh_per_km", lo=0, lo_open=True
        ),
        plugged_in_from_slot=p0,
        unavailable=tuple(windows),
        departure_slot=dep,
        departure_soc_kwh=dep_soc,
    )


def _booking(raw: Any, path: str, n: int, vehicles: Mapping[str, Vehicle]) -> Booking:
    b = read_object(raw, path, _BOOKING_REQUIRED, _BOOKING_OPTIONAL)
    bid = read_str(b["id"], f"{path}.id")
    if not bid:
        raise ScenarioError(f"{path}.id: must not be empty")
    start = read_int(b["start_slot"], f"{path}.start_slot", lo=0, hi=n - 1)
    end = read_int(b["end_slot"], f"{path}.end_slot", lo=start + 1)
    if end > n:
        raise ScenarioError(f"{path}.end_slot: {end} is past the horizon ({n} slots)")
    promised = read_number(b["promised_range_km"], f"{path}.promised_range_km", lo=0)
    expected = read_number(b.get("expected_km", promised), f"{path}.expected_km", lo=0)
    vid = b.get("vehicle")
    if vid is not None:
        vid = read_str(vid, f"{path}.vehicle")
        if vid not in vehicles:
            raise ScenarioError(f"{path}.vehicle: unknown vehicle {vid!r}")
        if vehicles[vid].kind != "shared":
            raise ScenarioError(f"{path}.vehicle: {vid!r} is private and serves no booking")
    return Booking(
        id=bid,
        start_slot=start,
        end_slot=end,
        promised_range_km=promised,
        expected_km=expected,
        vehicle=vid,
    )


def _check_bound(
    bookings: Sequence[Booking],
    vehicles: Mapping[str, Vehicle],
    turnaround: int,
    h: float,
    slots: int,
) -> None:
    """Reject bound bookings that break rule 2 or that no plan can keep (rules 5, 6) on one car."""
    per_vehicle: dict[str, list[tuple[int, Booking]]] = {}
    for i, b in enumerate(bookings):
        if b.vehicle is not None:
            per_vehicle.setdefault(b.vehicle, []).append((i, b))
    for vid, items in per_vehicle.items():
        v = vehicles[vid]
        items.sort(key=lambda ib: ib[1].start_slot)
        for i, b in items:
            path = f"bookings[{i}].vehicle"
            if b.start_slot < v.plugged_in_from_slot:
                raise ScenarioError(
                    f"{path}: {vid!r} is away until slot "
                    f"{v.plugged_in_from_slot}, booking starts at {b.start_slot}"
                )
            for a, z in v.unavailable:
                if b.start_slot < z and a < b.end_slot:
                    raise ScenarioError(f"{path}: {vid!r} is unavailable in [{a}, {z})")
        for (_, prev), (i, nxt) in itertools.pairwise(items):
            if nxt.start_slot < prev.end_slot + turnaround:
                raise ScenarioError(
                    f"bookings[{i}].vehicle: {vid!r} is still busy with {prev.id!r} "
                    f"(needs {turnaround} turnaround slot(s) after slot {prev.end_slot})"
                )
        # Rule 6 on the car alone: the highest reachable charge (full power whenever plugged).
        soc = v.initial_soc_kwh
        t = v.plugged_in_from_slot
        gain = v.charge_efficiency * v.max_charge_kw * h
        for i, b in items:
            free = (
                b.start_slot
                - t
                - sum(max(0, min(z, b.start_slot) - max(a, t)) for a, z in v.unavailable)
            )
            soc = min(v.battery_kwh, soc + gain * max(0, free))
            need = trip_need_kwh(v, b, slots)
            if soc < need - 1e-9:
                raise ScenarioError(
                    f"bookings[{i}].promised_range_km: bound vehicle {vid!r} can hold at most "
                    f"{soc:.2f} kWh at slot {b.start_slot}, the booking needs {need:.2f} kWh "
                    f"(rules 5 and 6)"
                )
            soc -= b.expected_km * v.consumption_kwh_per_km
            t = b.end_slot
