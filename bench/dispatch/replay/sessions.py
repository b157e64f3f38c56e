"""The replay's sessions and prices: the real residential sessions plugged in on the chosen days,
with the synthesised declared departures, requests, batteries and charge points, and the NL
day-ahead prices 313 weeks later (``build_replay``; what is real and what is drawn is in the
package docstring), and the constants of the charge points and the slot grid.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SESSIONS_CSV = Path("ev-sessions-norway-residential") / "ev_sessions_norway_residential_clean.csv"
PRICES_CSV = Path("nl-day-ahead-prices-2025-15min") / "nl_day_ahead_2025_15min.csv"
TZ_SESSIONS = ZoneInfo("Europe/Oslo")
TZ_HUB = ZoneInfo("Europe/Amsterdam")
SLOT = timedelta(minutes=15)
H = 0.25  # hours per slot
PRICE_SHIFT = timedelta(weeks=313)  # 2019-11-04 (Monday) -> 2025-11-03 (Monday)
DEFAULT_START = date(2019, 11, 4)
VOLTAGE = 230.0
MAX_KW = 11.0
MAX_AMPS = MAX_KW * 1000.0 / VOLTAGE
EARLY_SHARE = 0.5  # share of the drivers who leave before the time they declared


def data_missing(data_dir: Path) -> str | None:
    """Why the replay cannot run on `data_dir` (None: it can)."""
    for rel in (SESSIONS_CSV, PRICES_CSV):
        if not (data_dir / rel).is_file():
            return f"shared data not found: {data_dir / rel} (set SHARED_DATA)"
    return None


@dataclass(frozen=True)
class ReplaySession:
    session_id: str
    station_id: str
    arrival: int  # slot index (plug-in, rounded up)
    departure: int  # actual plug-out slot (rounded down)
    declared: int  # the departure the driver declared (>= departure)
    requested_kwh: float
    battery_kwh: float
    initial_kwh: float
    early: bool


@dataclass(frozen=True)
class Replay:
    start_utc: datetime  # local midnight of the first session day, in UTC
    price_start_utc: datetime  # local midnight of the first price day, in UTC
    days: int
    seed: int
    sessions: tuple[ReplaySession, ...]
    stations: tuple[str, ...]
    prices: tuple[float, ...]  # EUR/kWh per slot from start_utc, to the last declared departure

    @property
    def requested_kwh(self) -> float:
        return sum(s.requested_kwh for s in self.sessions)


def _utc(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def _price_table(data_dir: Path) -> dict[datetime, float]:
    with (data_dir / PRICES_CSV).open(encoding="utf-8") as f:
        return {_utc(r["datetime_utc"]): float(r["price_eur_per_kwh"]) for r in csv.DictReader(f)}


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def build_replay(
    data_dir: Path,
    *,
    start: date = DEFAULT_START,
    days: int = 3,
    seed: int = 1,
    max_sessions: int | None = None,
) -> Replay:
    """The sessions plugged in on `days` local days from `start`, with declared departures,
    requests, batteries and charge points (see the module docstring), and the prices."""
    t0 = _local_midnight(start, TZ_SESSIONS)
    t_end = _local_midnight(start + timedelta(days=days), TZ_SESSIONS)
    raw: list[tuple[datetime, datetime, str, float]] = []
    with (data_dir / SESSIONS_CSV).open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if not r["plugout_utc"] or float(r["energy_kwh"]) < 0.5:
                continue
            a, d = _utc(r["plugin_utc"]), _utc(r["plugout_utc"])
            if t0 <= a < t_end and d - a >= timedelta(minutes=30):
                raw.append((a, d, r["session_id"], float(r["energy_kwh"])))
    raw.sort()
    rng = random.Random(seed)
    if max_sessions is not None and len(raw) > max_sessions:
        raw = sorted(rng.sample(raw, max_sessions))
    drawn: list[tuple[int, int, int, str, float, float, float, bool]] = []
    for a, d, sid, kwh in raw:
        arrival = math.ceil((a - t0) / SLOT)
        departure = math.floor((d - t0) / SLOT)
        # one draw sequence per session, in plug-in order, whatever is kept afterwards
        early = rng.random() < EARLY_SHARE
        share = rng.uniform(0.5, 1.0)
        soc_share = rng.uniform(0.1, 0.4)
        if departure - arrival < 1:
            continue
        declared = departure
        if early:
            declared = max(departure, math.ceil((a + (d - a) / share - t0) / SLOT))
        requested = round(min(kwh, MAX_KW * H * (departure - arrival)), 3)
        battery = max(60.0, math.ceil(requested + 10.0))
        initial = round(min(soc_share * battery, battery - requested), 3)
        drawn.append((arrival, departure, declared, sid, requested, battery, initial, early))
    # charge points: a session takes the first point free strictly before its plug-in
    free_after: list[int] = []
    sessions: list[ReplaySession] = []
    for arrival, departure, declared, sid, requested, battery, initial, early in drawn:
        k = next((i for i, t in enumerate(free_after) if t < arrival), None)
        if k is None:
            free_after.append(departure)
            k = len(free_after) - 1
        else:
            free_after[k] = departure
        sessions.append(
            ReplaySession(
                session_id=sid,
                station_id=f"CP{k + 1:02d}",
                arrival=arrival,
                departure=departure,
                declared=declared,
                requested_kwh=requested,
                battery_kwh=battery,
                initial_kwh=initial,
                early=early,
            )
        )
    p0 = _local_midnight(start + PRICE_SHIFT, TZ_HUB)
    table = _price_table(data_dir)
    last = max((s.declared for s in sessions), default=0) + 1
    prices: list[float] = []
    for k in range(last):
        # the source lacks the repeated autumn clock-change hour: carry the last price over
        prices.append(table.get(p0 + k * SLOT, prices[-1] if prices else 0.0))
    return Replay(
        start_utc=t0,
        price_start_utc=p0,
        days=days,
        seed=seed,
        sessions=tuple(sessions),
        stations=tuple(f"CP{i + 1:02d}" for i in range(len(free_after))),
        prices=tuple(prices),
    )


HISTORY_DAYS = 28  # the hub's record before the replay: four weeks of the same data


def stay_share(s: ReplaySession) -> float:
    """The share of its declared stay a session lasted (what a hub learns when a car leaves)."""
    declared = s.declared - s.arrival
    return 1.0 if declared <= 0 else min(1.0, (s.departure - s.arrival) / declared)


def history_shares(data_dir: Path, replay: Replay) -> list[float]:
    """The stays of the `HISTORY_DAYS` days before the replay, their declared departures drawn
    the same way (another seed): the hub's history that `plan_hub` learns from."""
    start = (replay.start_utc.astimezone(TZ_SESSIONS) - timedelta(days=HISTORY_DAYS)).date()
    past = build_replay(data_dir, start=start, days=HISTORY_DAYS, seed=replay.seed + 10_000)
    return [stay_share(s) for s in past.sessions]
