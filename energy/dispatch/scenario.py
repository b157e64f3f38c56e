"""The scenario (`v2g-hub-scenario/1`) as frozen dataclasses: site, prices, vehicles, bookings.

What the solver, the checker and the baselines read; built by the strict parser in `parse.py`
(the dataclasses trust their fields: every check is made there). `ScenarioError` is the one-line
error every strict reading of the spec raises; `trip_need_kwh` is the energy rules 5 and 6 ask
a car to hold when a booking leaves.
"""

from __future__ import annotations

from dataclasses import dataclass

SCENARIO_FORMAT = "v2g-hub-scenario/1"
MAX_SLOTS = 4032


class ScenarioError(ValueError):
    """A scenario (or plan) that breaks the spec; the message is one human-readable line."""


@dataclass(frozen=True)
class Site:
    """Rule 7's band per slot: a single number in the document becomes one value per slot."""

    grid_import_limit_kw: tuple[float, ...]
    grid_export_limit_kw: tuple[float, ...]
    base_load_kw: tuple[float, ...]
    pv_kw: tuple[float, ...]

    @property
    def limits_vary(self) -> bool:
        """Whether the band differs between slots (a capacity limit or an activated order)."""
        return len(set(self.grid_import_limit_kw)) > 1 or len(set(self.grid_export_limit_kw)) > 1


@dataclass(frozen=True)
class Flexibility:
    up_eur_per_kw: tuple[float, ...]
    down_eur_per_kw: tuple[float, ...]


@dataclass(frozen=True)
class Vehicle:
    id: str
    kind: str  # "shared" or "private"
    battery_kwh: float
    initial_soc_kwh: float
    min_soc_kwh: float
    max_charge_kw: float
    max_discharge_kw: float
    charge_efficiency: float
    discharge_efficiency: float
    consumption_kwh_per_km: float
    plugged_in_from_slot: int = 0
    unavailable: tuple[tuple[int, int], ...] = ()
    departure_slot: int | None = None
    departure_soc_kwh: float | None = None
    # Not part of the exchange format: the slot by which a private car's owner leaves with high
    # probability (owners leave before the time they declare). None: `core.likely_departure`
    # derives it from the declared stay. `plan_hub` sets it from the hub's own history.
    likely_departure_slot: int | None = None

    @property
    def is_private(self) -> bool:
        return self.kind == "private"


@dataclass(frozen=True)
class Booking:
    id: str
    start_slot: int
    end_slot: int
    promised_range_km: float
    expected_km: float
    vehicle: str | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    timezone: str
    start: str
    slot_minutes: int
    slots: int
    site: Site
    import_eur_per_kwh: tuple[float, ...]
    export_eur_per_kwh: tuple[float, ...]
    degradation_eur_per_kwh: float
    unserved_penalty_eur: float
    shortfall_penalty_eur_per_kwh: float
    terminal_value_eur_per_kwh: float
    min_turnaround_slots: int
    flexibility: Flexibility | None
    vehicles: tuple[Vehicle, ...]
    bookings: tuple[Booking, ...]

    @property
    def h(self) -> float:
        """Slot length in hours: energy = power * h."""
        return self.slot_minutes / 60.0

    def vehicle_index(self) -> dict[str, int]:
        return {v.id: i for i, v in enumerate(self.vehicles)}


def trip_need_kwh(v: Vehicle, b: Booking, slots: int) -> float:
    """Energy the car must hold at `start_slot`: rule 6, and rule 5 on its return.

    Strict reading: when the car comes back inside the horizon, the boundary at `end_slot` is
    a plugged-in boundary, so rule 5 asks `soc - expected energy >= min_soc` there as well.
    """
    need = v.min_soc_kwh + b.promised_range_km * v.consumption_kwh_per_km
    if b.end_slot < slots:
        need = max(need, v.min_soc_kwh + b.expected_km * v.consumption_kwh_per_km)
    return need
