"""The real data in `shared/data`: prices, PV, charging sessions, EV specifications."""

from __future__ import annotations

import csv
import json
import math
import os
import random
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Amsterdam")


def shared_data_dir() -> Path:
    env = os.environ.get("WISSELSTROOM_SHARED_DATA")
    if env:
        return Path(env)
    # bench/dispatch/data.py -> project root is parents[2]; data lives in ../shared/data
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def data_available() -> bool:
    d = shared_data_dir()
    return (
        (d / "nl-day-ahead-prices-2025-15min" / "nl_day_ahead_2025_15min.csv").exists()
        and (d / "pv-pvgis-nl-1kwp" / "pv_pvgis_nl_1kwp_2019.csv").exists()
        and (
            d / "ev-sessions-norway-residential" / "ev_sessions_norway_residential_clean.csv"
        ).exists()
    )


def slot_instants(day: date, days: int = 1, slot_minutes: int = 15) -> list[datetime]:
    """UTC starts of the quarters from local midnight of `day` to local midnight `days` later:
    92 or 100 of them on clock-change days."""
    a = datetime(day.year, day.month, day.day, tzinfo=TZ).astimezone(UTC)
    e = day + timedelta(days=days)
    z = datetime(e.year, e.month, e.day, tzinfo=TZ).astimezone(UTC)
    out = []
    t = a
    while t < z:
        out.append(t)
        t += timedelta(minutes=slot_minutes)
    return out


def _utc(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


@lru_cache(maxsize=4)
def _price_table(kind: str) -> dict[datetime, float]:
    d = shared_data_dir()
    table: dict[datetime, float] = {}
    if kind == "2025":
        with (d / "nl-day-ahead-prices-2025-15min" / "nl_day_ahead_2025_15min.csv").open() as f:
            for row in csv.DictReader(f):
                table[_utc(row["datetime_utc"])] = float(row["price_eur_per_kwh"])
    else:
        with (d / "nl-day-ahead-prices-hourly" / f"nl_day_ahead_{kind}.csv").open() as f:
            for row in csv.DictReader(f):
                table[_utc(row["datetime_utc"])] = float(row["price_eur_per_mwh"]) / 1000.0
    return table


def prices(instants: list[datetime], kind: str) -> list[float]:
    """Price per slot; hourly files give each quarter its hour's price. A missing quarter (the
    repeated autumn hour is absent from the 2025 source) takes the previous slot's price."""
    table = _price_table(kind)
    out: list[float] = []
    for t in instants:
        key = t if kind == "2025" else t.replace(minute=0)
        out.append(table.get(key, out[-1] if out else 0.0))
    return out


@lru_cache(maxsize=2)
def _pv_table(year: int) -> dict[datetime, float]:
    path = shared_data_dir() / "pv-pvgis-nl-1kwp" / f"pv_pvgis_nl_1kwp_{year}.csv"
    with path.open() as f:
        return {_utc(r["datetime_utc"]): float(r["pv_kw_per_kwp"]) for r in csv.DictReader(f)}


def pv_per_kwp(instants: list[datetime], year: int = 2019) -> list[float]:
    table = _pv_table(year)
    out = []
    for t in instants:
        try:
            key = t.replace(year=year, minute=0)
        except ValueError:  # 29 February
            key = t.replace(year=year, day=28, minute=0)
        out.append(table.get(key, 0.0))
    return out


def base_load(instants: list[datetime], homes: int, rng: random.Random) -> list[float]:
    """Two-peak residential shape (documented assumption, no public per-home data here)."""
    out = []
    for t in instants:
        loc = t.astimezone(TZ)
        x = loc.hour + loc.minute / 60.0
        shape = (
            0.55
            + 0.5 * math.exp(-(((x - 7.5) / 1.5) ** 2))
            + 1.1 * math.exp(-(((x - 19.0) / 2.2) ** 2))
        )
        out.append(round(homes * 0.45 * shape / 1.05 * rng.uniform(0.9, 1.1), 3))
    return out


@lru_cache(maxsize=1)
def _sessions() -> list[dict[str, str]]:
    path = (
        shared_data_dir()
        / "ev-sessions-norway-residential"
        / "ev_sessions_norway_residential_clean.csv"
    )
    with path.open() as f:
        return [r for r in csv.DictReader(f) if r["plugout_utc"] and float(r["energy_kwh"]) > 0.5]


@lru_cache(maxsize=1)
def _ev_specs() -> list[tuple[str, float, int]]:
    path = shared_data_dir() / "elaadnl-charging-statistics" / "ev_specs_v2g_enabled2024.json"
    data = json.loads(path.read_text())
    return [
        (name, float(spec["battery_capacity"]), int(spec["number_of_registrations"]))
        for name, spec in data.items()
    ]
