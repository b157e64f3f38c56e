"""Building a hub's live problem as a ``v2g-hub-scenario/1`` document from the database.

The same function serves ``export_scenario`` and every ``plan_hub`` run, so any stored run can
be reproduced with ``plan_scenario``. Ids in the document are stable database references:
shared cars by plate, residents' cars as ``session-<id>``, bookings as ``booking-<id>``.

Choices the spec leaves to the hub (documented here because plans depend on them):

- A shared car's floor (``min_soc_kwh``) is the hub's reserve share of its battery, lowered to
  the car's present charge if it came back emptier, so the scenario never starts invalid.
- A car still on a trip re-enters at its booking's end (``plugged_in_from_slot``) with its last
  known charge less the trip's expected energy; an overdue car is assumed back in the next slot
  (the late-return job re-binds the next booking if it is not).
- A booking that runs past the horizon is cut at the horizon's end with its full trip energy,
  which the spec counts against the terminal value: the stricter reading.
- Missing day-ahead prices are filled with ``DEFAULT_PRICE_SHAPE`` (a documented Dutch winter
  weekday shape), and the run's trigger notes it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q

from energy.dispatch.scenario import SCENARIO_FORMAT
from energy.forecast import PvArray, base_load_kw, pv_clear_sky_kw, typical_household_profile
from energy.grid.selectors import grid_bands
from energy.models import (
    ChargingSession,
    CloudinessForecast,
    FlexPriceSlot,
    PriceSlot,
    SessionStatus,
    Site,
)
from energy.selectors import session_charge_estimate_kwh
from sharing.models import Booking, BookingStatus, Hub, MaintenanceBlock, Vehicle, VehicleStatus

CHARGE_EFFICIENCY = 0.92
DISCHARGE_EFFICIENCY = 0.92
# EUR/kWh by local hour: night low, morning and evening peaks, a solar dip at noon. Used only
# where no imported day-ahead price covers a slot (the demo without an import).
DEFAULT_PRICE_SHAPE = [
    0.080, 0.075, 0.072, 0.070, 0.072, 0.080, 0.100, 0.130, 0.125, 0.100, 0.080, 0.060,
    0.050, 0.050, 0.060, 0.080, 0.110, 0.150, 0.170, 0.150, 0.120, 0.100, 0.090, 0.085,
]  # fmt: skip


@dataclass(frozen=True)
class BuiltScenario:
    document: dict[str, Any]
    vehicles: dict[str, int]  # scenario id -> Vehicle pk
    sessions: dict[str, int]  # scenario id -> ChargingSession pk
    bookings: dict[str, int]  # scenario id -> Booking pk
    notes: list[str]


def _slot_of(moment: datetime, start: datetime, minutes: int) -> int:
    return math.floor((moment - start).total_seconds() / (minutes * 60))


def _slot_ceil(moment: datetime, start: datetime, minutes: int) -> int:
    return math.ceil((moment - start).total_seconds() / (minutes * 60))


def _f(value: Decimal | float | int | None, default: float = 0.0) -> float:
    return default if value is None else float(value)


def build_hub_scenario(*, hub: Hub, start: datetime, slots: int, now: datetime) -> BuiltScenario:
    """The hub's problem for ``slots`` slots from ``start`` (on the slot grid), known at ``now``."""
    minutes = hub.slot_minutes
    end = start + timedelta(minutes=minutes * slots)
    site = Site.objects.select_related("base_load").prefetch_related("pv_systems").get(hub=hub)
    notes: list[str] = []

    prices, price_notes = _prices(site, hub, start, slots, minutes)
    notes += price_notes
    pv = _pv(site, hub, start, slots, minutes)
    base = _base_load(site, hub, start, slots, minutes)

    vehicles_doc: list[dict[str, Any]] = []
    vehicle_ids: dict[str, int] = {}
    cars = list(
        Vehicle.objects.filter(hub=hub)
        .exclude(status=VehicleStatus.RETIRED)
        .select_related("model", "home_bay__charger")
    )
    maintenance = _maintenance(cars, start, end, minutes)
    on_trip = {
        b.vehicle_id: b
        for b in Booking.objects.filter(hub=hub, status=BookingStatus.ACTIVE, vehicle__isnull=False)
    }
    for car in cars:
        model = car.model
        battery = _f(model.usable_battery_kwh)
        consumption = _f(model.effective_consumption_kwh_per_km)
        charge_kw = _f(model.ac_charge_kw)
        discharge_kw = _f(model.ac_discharge_kw) if model.bidirectional else 0.0
        charger = getattr(car.home_bay, "charger", None) if car.home_bay else None
        if charger is not None:
            charge_kw = min(charge_kw, _f(charger.ac_charge_kw))
            discharge_kw = min(discharge_kw, _f(charger.discharge_kw))
        soc = _f(car.last_known_soc_kwh, battery * 0.5)
        plugged_from = 0
        trip = on_trip.get(car.pk)
        if trip is not None:
            soc -= trip.expected_km * consumption
            back = _slot_ceil(trip.end, start, minutes)
            if back <= 0:
                notes.append(f"{car.plate} is overdue; assumed back in the next slot")
                back = 1
            plugged_from = min(back, slots)
        soc = min(max(soc, 0.0), battery)
        reserve = battery * hub.reserve_soc_percent / 100
        windows = maintenance.get(car.pk, [])
        if car.status == VehicleStatus.MAINTENANCE:
            windows = [[plugged_from, slots]] if plugged_from < slots else []
        vehicles_doc.append(
            {
                "id": car.plate,
                "kind": "shared",
                "battery_kwh": battery,
                "initial_soc_kwh": round(soc, 4),
                "min_soc_kwh": round(min(reserve, soc), 4),
                "max_charge_kw": charge_kw,
                "max_discharge_kw": discharge_kw,
                "charge_efficiency": CHARGE_EFFICIENCY,
                "discharge_efficiency": DISCHARGE_EFFICIENCY,
                "consumption_kwh_per_km": consumption,
                "plugged_in_from_slot": plugged_from,
                "unavailable": _merge([w for w in windows if w[0] >= plugged_from]),
            }
        )
        vehicle_ids[car.plate] = car.pk

    session_ids: dict[str, int] = {}
    for session in ChargingSession.objects.filter(
        bay__hub=hub, status=SessionStatus.ACTIVE, departure_at__gt=start
    ).select_related("car", "bay__charger"):
        car_p = session.car
        battery = _f(car_p.battery_kwh)
        # what the car holds now, not at plug-in: the metered (else planned) charge since
        soc = min(session_charge_estimate_kwh(session=session, now=now), battery)
        charge_kw = _f(car_p.max_charge_kw)
        discharge_kw = 0.0
        charger = getattr(session.bay, "charger", None)
        if charger is not None:
            charge_kw = min(charge_kw, _f(charger.ac_charge_kw))
        if session.allow_feed_back and car_p.may_feed_back and session.bay.bidirectional:
            discharge_kw = _f(car_p.max_discharge_kw)
            if charger is not None:
                discharge_kw = min(discharge_kw, _f(charger.discharge_kw))
        floor = max(_f(car_p.floor_kwh), _f(session.feed_back_floor_kwh) if discharge_kw else 0.0)
        key = f"session-{session.pk}"
        vehicles_doc.append(
            {
                "id": key,
                "kind": "private",
                "battery_kwh": battery,
                "initial_soc_kwh": round(soc, 4),
                "min_soc_kwh": round(min(floor, soc), 4),
                "max_charge_kw": charge_kw,
                "max_discharge_kw": discharge_kw,
                "charge_efficiency": CHARGE_EFFICIENCY,
                "discharge_efficiency": DISCHARGE_EFFICIENCY,
                "consumption_kwh_per_km": _f(car_p.consumption_kwh_per_km),
                "plugged_in_from_slot": max(0, _slot_ceil(session.plugged_in_at, start, minutes)),
                "unavailable": [],
                "departure_slot": _slot_of(session.departure_at, start, minutes),
                "departure_soc_kwh": round(min(_f(session.target_soc_kwh), battery), 4),
            }
        )
        session_ids[key] = session.pk

    bookings_doc: list[dict[str, Any]] = []
    booking_ids: dict[str, int] = {}
    known = set(vehicle_ids)
    for booking in (
        Booking.objects.filter(
            hub=hub, status__in=[BookingStatus.CONFIRMED, BookingStatus.BOUND], start__lt=end
        )
        .filter(start__gte=start)
        .select_related("vehicle")
        .order_by("start", "pk")
    ):
        start_slot = _slot_of(booking.start, start, minutes)
        end_slot = min(_slot_ceil(booking.end, start, minutes), slots)
        bound = booking.vehicle.plate if booking.vehicle_id and booking.vehicle else None
        if bound is not None and bound not in known:
            bound = None
        key = f"booking-{booking.pk}"
        bookings_doc.append(
            {
                "id": key,
                "start_slot": start_slot,
                "end_slot": max(end_slot, start_slot + 1),
                "promised_range_km": booking.promised_range_km,
                "expected_km": booking.expected_km,
                "vehicle": bound,
            }
        )
        booking_ids[key] = booking.pk

    document: dict[str, Any] = {
        "format": SCENARIO_FORMAT,
        "name": f"{hub.slug} {start.isoformat()}",
        "timezone": hub.time_zone,
        "start": start.isoformat(),
        "slot_minutes": minutes,
        "slots": slots,
        "site": {
            "grid_import_limit_kw": _f(site.grid_import_limit_kw),
            "grid_export_limit_kw": _f(site.grid_export_limit_kw),
            "base_load_kw": [round(v, 3) for v in base],
            "pv_kw": [round(v, 3) for v in pv],
        },
        "prices": {
            "import_eur_per_kwh": [
                round(p + _f(site.import_surcharge_eur_per_kwh), 5) for p in prices
            ],
            "export_eur_per_kwh": [round(p * _f(site.export_price_factor), 5) for p in prices],
        },
        "degradation_eur_per_kwh": _f(site.degradation_eur_per_kwh),
        # A bound car's block is [start - buffer, end + buffer): 2 x buffer between two trips.
        "min_turnaround_slots": math.ceil(2 * hub.turnaround_buffer_minutes / minutes),
        "vehicles": vehicles_doc,
        "bookings": bookings_doc,
    }
    # Accepted flexibility orders narrow the grid band in their slots (rule 7, per slot).
    bands = grid_bands(
        hub=hub,
        start=start,
        slots=slots,
        minutes=minutes,
        import_limit_kw=_f(site.grid_import_limit_kw),
        export_limit_kw=_f(site.grid_export_limit_kw),
    )
    if bands is not None:
        document["site"]["grid_import_limit_kw"], document["site"]["grid_export_limit_kw"] = bands
    flex = _flex_prices(site, start, slots, minutes) if site.offers_flexibility else None
    if flex is not None:
        document["flexibility"] = flex
    notes += _unbind_unkeepable(document)
    return BuiltScenario(document, vehicle_ids, session_ids, booking_ids, notes)


_BOUND_PROBLEM = re.compile(r"^bookings\[(\d+)\]\.(vehicle|promised_range_km): ")


def _unbind_unkeepable(document: dict[str, Any]) -> list[str]:
    """Bookings bound to a car that cannot serve them in this scenario, planned unbound.

    The spec rejects a whole scenario for one bound booking its car cannot keep (strict
    reading 4: an overdue car assumed back after the booking's start, a car back too late for
    its turnaround, or too empty to reach the promise in time), and the hub would then get no
    plan at all. Such a booking is planned without its binding instead, so the dispatcher can
    give it another car (the late-return job re-binds it in the database), and the run's
    notes name it. The parser's own checks decide, one booking at a time."""
    from energy.dispatch.parse import parse_scenario
    from energy.dispatch.scenario import ScenarioError

    notes: list[str] = []
    bookings = document["bookings"]
    for _ in range(len(bookings)):
        try:
            parse_scenario(document)
        except ScenarioError as exc:
            found = _BOUND_PROBLEM.match(str(exc))
            if found is None or bookings[int(found.group(1))].get("vehicle") is None:
                break  # not a bound booking's problem: the planning service reports it
            booking = bookings[int(found.group(1))]
            notes.append(f"{booking['id']} planned without its car {booking['vehicle']}")
            booking["vehicle"] = None
            continue
        break
    return notes


def _merge(windows: list[list[int]]) -> list[list[int]]:
    merged: list[list[int]] = []
    for lo, hi in sorted(windows):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return merged


def _maintenance(
    cars: list[Vehicle], start: datetime, end: datetime, minutes: int
) -> dict[int, list[list[int]]]:
    slots = _slot_of(end, start, minutes)
    windows: dict[int, list[list[int]]] = {}
    for block in MaintenanceBlock.objects.filter(
        vehicle__in=cars, start__lt=end, end__gt=start
    ).order_by("start"):
        lo = max(0, _slot_of(block.start, start, minutes))
        hi = min(slots, _slot_ceil(block.end, start, minutes))
        if hi > lo:
            windows.setdefault(block.vehicle_id, []).append([lo, hi])
    return windows


def _prices(
    site: Site, hub: Hub, start: datetime, slots: int, minutes: int
) -> tuple[list[float], list[str]]:
    end = start + timedelta(minutes=minutes * slots)
    known = {
        p.start: float(p.day_ahead_eur_per_kwh)
        for p in PriceSlot.objects.filter(area=site.price_area, start__gte=start, start__lt=end)
    }
    zone = hub.tz
    values: list[float] = []
    missing = 0
    for i in range(slots):
        moment = start + timedelta(minutes=i * minutes)
        price = known.get(hub.floor_to_slot(moment))
        if price is None:
            missing += 1
            price = DEFAULT_PRICE_SHAPE[moment.astimezone(zone).hour]
        values.append(price)
    notes = [f"{missing} of {slots} slots priced by the default shape"] if missing else []
    return values, notes


def _flex_prices(site: Site, start: datetime, slots: int, minutes: int) -> dict[str, Any] | None:
    end = start + timedelta(minutes=minutes * slots)
    rows = {
        r.start: r
        for r in FlexPriceSlot.objects.filter(area=site.price_area, start__gte=start, start__lt=end)
    }
    if not rows:
        return None
    up: list[float] = []
    down: list[float] = []
    for i in range(slots):
        row = rows.get(start + timedelta(minutes=i * minutes))
        up.append(_f(row.up_eur_per_kw) if row else 0.0)
        down.append(_f(row.down_eur_per_kw) if row else 0.0)
    return {"up_eur_per_kw": up, "down_eur_per_kw": down}


def _pv(site: Site, hub: Hub, start: datetime, slots: int, minutes: int) -> list[float]:
    arrays = [
        PvArray(kwp=_f(s.kwp), tilt_deg=_f(s.tilt_deg), azimuth_deg=_f(s.azimuth_deg))
        for s in site.pv_systems.all()
    ]
    clear = pv_clear_sky_kw(
        latitude=_f(hub.latitude),
        longitude=_f(hub.longitude),
        arrays=arrays,
        start=start,
        slots=slots,
        slot_minutes=minutes,
    )
    end = start + timedelta(minutes=minutes * slots)
    overrides = {
        c.start: _f(c.factor)
        for c in CloudinessForecast.objects.filter(Q(site=site), start__gte=start, start__lt=end)
    }
    factor = _f(site.cloudiness_factor)
    return [
        float(clear[i]) * overrides.get(start + timedelta(minutes=i * minutes), factor)
        for i in range(slots)
    ]


def _base_load(site: Site, hub: Hub, start: datetime, slots: int, minutes: int) -> list[float]:
    profile = getattr(site, "base_load", None)
    weekday = profile.weekday_kw_per_home if profile else typical_household_profile(weekend=False)
    weekend = profile.weekend_kw_per_home if profile else typical_household_profile(weekend=True)
    values = base_load_kw(
        weekday_kw_per_home=[float(v) for v in weekday],
        weekend_kw_per_home=[float(v) for v in weekend],
        homes=site.homes,
        fixed_kw=_f(profile.fixed_kw) if profile else 0.0,
        start=start,
        slots=slots,
        timezone=hub.time_zone,
        slot_minutes=minutes,
    )
    return [float(v) for v in values]
