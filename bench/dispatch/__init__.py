"""Benchmark scenarios built from the real data in `shared/data`, with a seeded RNG.

What is real: NL day-ahead prices (15-minute 2025, hourly 2019), PVGIS output per kWp (2019,
hourly, repeated per quarter), residential charging sessions from Trondheim (plug-in, plug-out,
energy) for the residents' private cars, the NL top-8 EV specifications (battery, AC power).

What is drawn (documented distributions, seeded):

* base load of the homes: a two-peak residential day shape, 0.45 kW mean per home, +-10 % noise;
* shared cars: a model from the EV spec table weighted by registrations; 11 kW AC bays; a third
  of the bays bidirectional (11 kW discharge); initial charge 50-95 % of the battery;
* bookings: start on the quarter, weighted 7:00-21:00; duration lognormal (median 2.5 h,
  clipped to 1-12 h for a day, 1-48 h for a week); promised range lognormal (median 45 km,
  clipped 5-250 km); expected km = promised x U(0.5, 1.0);
* flexibility capacity prices (case c only; no public data): up 0.004 EUR/kW per slot, down
  0.003, each x U(0.5, 1.5) per hour;
* private cars: initial charge 20-60 %, target = initial + the session's energy (capped), 11 kW,
  no discharge.

Import and export prices are both the day-ahead price (no taxes): a kWh fed back earns what a kWh
drawn costs.
"""

from __future__ import annotations

from .cases import CASES, TIME_LIMITS, Case, build
from .data import (
    TZ,
    base_load,
    data_available,
    prices,
    pv_per_kwp,
    shared_data_dir,
    slot_instants,
)
from .run import HEADER, format_row, measure, run_case
from .warm import WARM_HEADER, format_warm, measure_warm

__all__ = [
    "CASES",
    "HEADER",
    "TIME_LIMITS",
    "TZ",
    "WARM_HEADER",
    "Case",
    "base_load",
    "build",
    "data_available",
    "format_row",
    "format_warm",
    "measure",
    "measure_warm",
    "prices",
    "pv_per_kwp",
    "run_case",
    "shared_data_dir",
    "slot_instants",
]
