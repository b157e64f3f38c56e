"""PV and base-load forecasts per slot (pure: no database).

PV: pvlib's clear-sky irradiance (Ineichen, fixed Linke turbidity so no lookup tables are read)
for the hub's coordinates, transposed onto each PV system's tilt and azimuth, times its kWp and
a performance ratio, then scaled by the cloudiness factor of each slot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

PERFORMANCE_RATIO = 0.86  # inverter, wiring, soiling and temperature losses together
LINKE_TURBIDITY = 3.0  # a typical Dutch value; avoids pvlib's optional HDF5 lookup


@dataclass(frozen=True)
class PvArray:
    kwp: float
    tilt_deg: float
    azimuth_deg: float


def pv_clear_sky_kw(
    *,
    latitude: float,
    longitude: float,
    arrays: Sequence[PvArray],
    start: datetime,
    slots: int,
    slot_minutes: int = 15,
) -> np.ndarray:
    """Mean AC output (kW) of all arrays in each slot under a clear sky."""
    if slots <= 0 or not arrays:
        return np.zeros(max(slots, 0))
    # Average three instants per slot so a 15-minute mean is not a single sample.
    offsets = [slot_minutes * f for f in (1 / 6, 3 / 6, 5 / 6)]
    instants = [
        start + timedelta(minutes=i * slot_minutes + offset)
        for i in range(slots)
        for offset in offsets
    ]
    # pandas and pvlib (~0.6 s to import) only where a PV forecast is made
    import pandas as pd
    import pvlib

    times = pd.DatetimeIndex(instants).tz_convert("UTC")
    location = pvlib.location.Location(latitude, longitude, tz="UTC")
    solar = location.get_solarposition(times)
    sky = location.get_clearsky(times, model="ineichen", linke_turbidity=LINKE_TURBIDITY)
    total = np.zeros(len(times))
    for array in arrays:
        poa = pvlib.irradiance.get_total_irradiance(
            surface_tilt=array.tilt_deg,
            surface_azimuth=array.azimuth_deg,
            solar_zenith=solar["apparent_zenith"],
            solar_azimuth=solar["azimuth"],
            dni=sky["dni"],
            ghi=sky["ghi"],
            dhi=sky["dhi"],
        )["poa_global"]
        total += np.nan_to_num(poa.to_numpy()) / 1000.0 * array.kwp * PERFORMANCE_RATIO
    per_slot: np.ndarray = total.reshape(slots, len(offsets)).mean(axis=1)
    return np.clip(per_slot, 0.0, None)


def base_load_kw(
    *,
    weekday_kw_per_home: Sequence[float],
    weekend_kw_per_home: Sequence[float],
    homes: int,
    fixed_kw: float,
    start: datetime,
    slots: int,
    timezone: str,
    slot_minutes: int = 15,
) -> np.ndarray:
    """Base load per slot from a 96-value profile of local quarter hours (clock-change safe)."""
    zone = ZoneInfo(timezone)
    values = np.empty(slots)
    for i in range(slots):
        local = (start + timedelta(minutes=i * slot_minutes)).astimezone(zone)
        quarter = (local.hour * 60 + local.minute) // 15
        profile = weekend_kw_per_home if local.weekday() >= 5 else weekday_kw_per_home
        values[i] = float(profile[quarter]) * homes + fixed_kw
    return values


def typical_household_profile(*, weekend: bool) -> list[float]:
    """A documented household shape (kW per home, 96 quarter hours), about 3,000 kWh a year.

    Two smooth peaks (morning, evening) over a night base, like the NEDU E1A profile's shape;
    weekends have a later, flatter morning. Used by the demo and by tests.
    """
    hours = np.arange(96) / 4.0
    morning_centre, morning_height = (9.5, 0.25) if weekend else (7.5, 0.30)
    shape = (
        0.22
        + morning_height * np.exp(-((hours - morning_centre) ** 2) / 3.0)
        + 0.55 * np.exp(-((hours - 19.0) ** 2) / 5.0)
        + 0.10 * np.exp(-((hours - 13.0) ** 2) / 8.0)
    )
    return [round(float(v), 3) for v in shape]
