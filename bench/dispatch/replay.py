"""The early-departure replay (issue 12): real residential sessions in Caltech's ACN-Sim.

Development tooling (``manage.py bench_replay``): needs ``acnportal`` (a development dependency)
and the shared data; nothing here is imported by the web app, the worker or ``plan_hub``.

What is real
    The sessions of ``ev-sessions-norway-residential`` (all garages of the Trondheim
    cooperative together: plug-in, plug-out, delivered energy) whose plug-in falls on the chosen
    local days (default 2019-11-04 …, 37-42 sessions a day), and the NL day-ahead prices
    (``nl-day-ahead-prices-2025-15min``, genuine 15-minute prices) of the days exactly 313
    weeks later (2025-11-03 …, the same weekdays; slot k of the replay uses the price of slot k
    after local midnight of the first price day). Sessions shorter than 30 minutes, with less
    than 0.5 kWh, or without a plug-out time are left out.

What is synthesised (seeded, ``random.Random(seed)``), because the data has actual plug-out
times only
    * Declared departures: each session independently, with probability 1/2, is an *early*
      one: ``f ~ U(0.5, 1.0)`` and ``declared = plug-in + (actual - plug-in) / f``, i.e. the
      owner leaves after the share ``f`` of the stay they declared. Otherwise
      ``declared = actual``. On the 15-minute grid an early declared departure is rounded up
      (never before the actual one), an on-time one is the actual plug-out slot.
    * Energy requested: the session's delivered energy from the data, capped at what the
      11 kW charge point could deliver in the (slot-rounded) actual stay, so that every demand
      can be met by some schedule when the grid allows.
    * Battery: ``max(60, requested + 10)`` kWh, initial charge ``U(0.1, 0.4)`` of it, lowered
      where needed so that the request fits; an ideal battery (``acnsim.Battery``: no taper,
      no losses).

The simulation
    ACN-Sim with a period of 15 minutes (every algorithm acts on the planner's slot grid), one
    continuous ``EVSE`` per concurrently used charge point (at most 11 kW = 47.8 A at 230 V,
    phase 0), and one aggregate current constraint ``limit_kw * 1000 / 230`` A over all of
    them: the hub's grid import limit (no base load, no PV). Plug-in is rounded up, the actual
    plug-out down to the grid. ACN-Sim gets ``estimated_departure = declared``; the interface
    the algorithms see (``DeclaredInterface``) also hands them the declared departure as the
    session's ``departure``, so none of them can see when a car really leaves (acnportal's
    ``earliest_deadline_first`` and ``least_laxity_first`` sort by ``estimated_departure``; the
    unplug events use the actual departure).

Algorithms
    ``edf``, ``llf``: ``SortedSchedulingAlgo`` with acnportal's own sort functions.
    ``ours``: ``PlanScenarioAlgo`` calls ``manage.py plan_scenario SCEN --out PLAN
    --time-limit 10`` as a subprocess in every period with a car still charging, on a
    ``v2g-hub-scenario/1`` document of the cars plugged in (each a ``private`` car,
    ``departure_slot`` = declared departure, ``departure_soc_kwh`` = charge now + energy still
    requested, no discharge, efficiency 1, terminal value 0, default shortfall penalty), checks
    each plan with ``check_plan``, and applies the first slot's power (kW → A at 230 V).
    ``ours-declared``: the same with ``--likely-stay-share 1`` (the likely-departure feature
    off), when ``plan_scenario`` has that flag. ``ours-oracle`` (on request): told the actual
    departures, a reference for what the planner could do knowing them.

Measured per algorithm: energy delivered (% of requested), demands fully met (% of sessions,
within 1 % or 0.1 kWh of the request), cost per kWh delivered at the day-ahead import price, the
largest aggregate power of any period against the limit and ACN-Sim's invalid-schedule warnings,
and for ours the wall seconds of each ``plan_scenario`` call (process start included) and how many
plans failed the checker.
"""

from __future__ import annotations

import csv
import json
import math
import random
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
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
PLAN_TIME_LIMIT = 10.0
EARLY_SHARE = 0.5  # share of the drivers who leave before the time they declared
MET_RELATIVE, MET_ABSOLUTE = 0.01, 0.1  # a demand is met within 1 % or 0.1 kWh

ALGORITHMS = ("edf", "llf", "ours", "ours-declared", "ours-oracle")
LABELS = {
    "edf": "EDF (acnportal)",
    "llf": "LLF (acnportal)",
    "ours": "ours (plan_scenario)",
    "ours-declared": "ours (declared only)",
    "ours-oracle": "ours (told actual)",
}


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


# ---- the algorithm that asks our planner ---------------------------------------------------------


@dataclass
class PlannerStats:
    walls: list[float] = field(default_factory=list)  # seconds per plan_scenario call
    invalid_plans: int = 0
    first_violation: str | None = None
    scaled_periods: int = 0  # periods where the plan's first slot was scaled to the limit
    retries: int = 0  # plan_scenario runs that failed once and were run again
    retry_reasons: list[str] = field(default_factory=list)


def scenario_document(
    replay: Replay,
    *,
    now: int,
    cars: Sequence[tuple[ReplaySession, float, float]],
    limit_kw: float,
    oracle: bool = False,
) -> dict[str, Any]:
    """The v2g-hub-scenario/1 document at slot `now` of the cars plugged in, each given as
    (session, charge now kWh, energy still requested kWh); `oracle` uses actual departures."""
    ends = [(s.departure if oracle else s.declared) - now for s, _, _ in cars]
    n = max([1, *ends])
    prices = [replay.prices[min(now + t, len(replay.prices) - 1)] for t in range(n)]
    vehicles = [
        {
            "id": s.session_id,
            "kind": "private",
            "battery_kwh": s.battery_kwh,
            "initial_soc_kwh": round(soc, 4),
            "min_soc_kwh": 0.0,
            "max_charge_kw": MAX_KW,
            "max_discharge_kw": 0.0,
            "charge_efficiency": 1.0,
            "discharge_efficiency": 1.0,
            "consumption_kwh_per_km": 0.18,
            "plugged_in_from_slot": 0,
            "unavailable": [],
            "departure_slot": end,
            "departure_soc_kwh": round(min(s.battery_kwh, soc + need), 4),
        }
        for (s, soc, need), end in zip(cars, ends, strict=True)
    ]
    return {
        "format": "v2g-hub-scenario/1",
        "name": f"replay-{replay.seed}-slot-{now}",
        "timezone": "Europe/Amsterdam",
        "start": (replay.price_start_utc + now * SLOT).isoformat(),
        "slot_minutes": 15,
        "slots": n,
        "site": {
            "grid_import_limit_kw": limit_kw,
            "grid_export_limit_kw": 0.0,
            "base_load_kw": [0.0] * n,
            "pv_kw": [0.0] * n,
        },
        "prices": {"import_eur_per_kwh": prices, "export_eur_per_kwh": prices},
        "degradation_eur_per_kwh": 0.0,
        "terminal_value_eur_per_kwh": 0.0,
        "vehicles": vehicles,
        "bookings": [],
    }


def plan_scenario_flags(project_root: Path) -> set[str]:
    """The options the shipped `plan_scenario` accepts (read from its --help)."""
    out = subprocess.run(
        [sys.executable, "manage.py", "plan_scenario", "--help"],
        cwd=project_root,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return {w.strip("[],") for w in out.split() if w.startswith(("--", "[--"))}


def _make_planner_algo(base: type, interface_base: type) -> tuple[type, type]:
    """Build the ACN-Sim classes lazily, so that importing this module needs no acnportal."""

    class DeclaredInterface(interface_base):
        """ACN-Sim's interface with the declared departure in place of the actual one."""

        def _active_sessions(self) -> list[Any]:
            from acnportal.acnsim.interface import SessionInfo

            return [
                SessionInfo(
                    ev.station_id,
                    ev.session_id,
                    ev.requested_energy,
                    ev.energy_delivered,
                    ev.arrival,
                    ev.estimated_departure,
                    ev.estimated_departure,
                    self.current_time,
                )
                for ev in self._active_evs
            ]

    class PlanScenarioAlgo(base):
        """Every period: the plugged-in cars as a scenario, `plan_scenario` as a subprocess,
        the plan's first slot as the pilot of each car's charge point."""

        def __init__(
            self,
            replay: Replay,
            limit_kw: float,
            project_root: Path,
            extra_args: Sequence[str] = (),
            oracle: bool = False,
        ) -> None:
            super().__init__()
            self.max_recompute = 1
            self.replay = replay
            self.limit_kw = limit_kw
            self.project_root = project_root
            self.extra_args = list(extra_args)
            self.oracle = oracle
            self.by_id = {s.session_id: s for s in replay.sessions}
            self.stats = PlannerStats()

        def _plan(self, doc: dict[str, Any]) -> str:
            """The plan `plan_scenario` writes for `doc`; one retry after a failed run (the
            tree is shared: another engineer's half-saved file may break one process start),
            counted in the stats; a second failure stops the replay."""
            with tempfile.TemporaryDirectory(prefix="ws-replay-") as tmp:
                src, out = Path(tmp) / "scenario.json", Path(tmp) / "plan.json"
                src.write_text(json.dumps(doc), encoding="utf-8")
                for attempt in (1, 2):
                    t = time.perf_counter()
                    proc = subprocess.run(  # noqa: S603
                        [
                            sys.executable,
                            "manage.py",
                            "plan_scenario",
                            str(src),
                            "--out",
                            str(out),
                            "--time-limit",
                            str(PLAN_TIME_LIMIT),
                            *self.extra_args,
                        ],
                        cwd=self.project_root,
                        capture_output=True,
                        text=True,
                        check=False,
                    )
                    wall = time.perf_counter() - t
                    if proc.returncode == 0 and out.exists():
                        self.stats.walls.append(wall)
                        return out.read_text(encoding="utf-8")
                    reason = (proc.stderr.strip().splitlines() or ["no output"])[-1]
                    if attempt == 2:
                        raise RuntimeError(f"plan_scenario exited {proc.returncode}: {reason}")
                    self.stats.retries += 1
                    self.stats.retry_reasons.append(reason)
            raise AssertionError("unreachable")

        def schedule(self, active_sessions: list[Any]) -> dict[str, list[float]]:
            from energy.dispatch.check import check_plan
            from energy.dispatch.parse import parse_scenario
            from energy.dispatch.plan import parse_plan_text

            live = [a for a in active_sessions if a.remaining_demand > 1e-3]
            if not live:
                return {}
            now = int(self.interface.current_time)
            cars = []
            for a in live:
                s = self.by_id[a.session_id]
                cars.append((s, s.initial_kwh + a.energy_delivered, a.remaining_demand))
            doc = scenario_document(
                self.replay, now=now, cars=cars, limit_kw=self.limit_kw, oracle=self.oracle
            )
            text = self._plan(doc)
            scn = parse_scenario(doc)
            plan = parse_plan_text(text, scn)
            result = check_plan(scn, plan)
            if result.violations:
                self.stats.invalid_plans += 1
                self.stats.first_violation = self.stats.first_violation or result.violations[0]
            amps: dict[str, float] = {}
            for a in live:
                kw = plan.power_kw[a.session_id][0]
                cap = min(MAX_AMPS, self.interface.remaining_amp_periods(a))
                amps[a.station_id] = max(0.0, min(cap, kw * 1000.0 / VOLTAGE))
            total = sum(amps.values())
            limit_a = self.limit_kw * 1000.0 / VOLTAGE
            if total > limit_a:
                # JSON rounding of a plan at the limit; counted so it shows if it is ever more
                self.stats.scaled_periods += 1
                amps = {k: v * limit_a / total for k, v in amps.items()}
            return {k: [v] for k, v in amps.items()}

    return DeclaredInterface, PlanScenarioAlgo


# ---- running one algorithm and scoring it --------------------------------------------------------


@dataclass(frozen=True)
class Result:
    algorithm: str
    limit_kw: float
    sessions: int
    requested_kwh: float
    delivered_kwh: float
    met: int
    cost_eur: float
    peak_kw: float
    over_limit_periods: int
    schedule_warnings: int
    over_request_kwh: float  # largest energy delivered beyond a session's request
    early_sessions: int = 0  # sessions whose driver leaves before the declared time
    early_met: int = 0
    planner: PlannerStats | None = None

    @property
    def delivered_share(self) -> float:
        return self.delivered_kwh / self.requested_kwh if self.requested_kwh else 1.0

    @property
    def met_share(self) -> float:
        return self.met / self.sessions if self.sessions else 1.0

    @property
    def eur_per_kwh(self) -> float:
        return self.cost_eur / self.delivered_kwh if self.delivered_kwh else 0.0


def run_algorithm(
    replay: Replay,
    algorithm: str,
    limit_kw: float,
    *,
    project_root: Path,
) -> Result:
    """Replay every session of `replay` in ACN-Sim under `algorithm` with one aggregate limit."""
    from acnportal import acnsim
    from acnportal.algorithms import (
        BaseAlgorithm,
        SortedSchedulingAlgo,
        earliest_deadline_first,
        least_laxity_first,
    )

    declared_interface, planner_algo = _make_planner_algo(BaseAlgorithm, acnsim.Interface)
    network = acnsim.ChargingNetwork()
    for sid in replay.stations:
        network.register_evse(acnsim.EVSE(sid, max_rate=MAX_AMPS), VOLTAGE, 0)
    network.add_constraint(
        acnsim.Current(list(replay.stations)), limit_kw * 1000.0 / VOLTAGE, name="grid"
    )
    events = acnsim.EventQueue(
        [
            acnsim.PluginEvent(
                s.arrival,
                acnsim.EV(
                    s.arrival,
                    s.departure,
                    s.requested_kwh,
                    s.station_id,
                    s.session_id,
                    acnsim.Battery(s.battery_kwh, s.initial_kwh, MAX_KW),
                    estimated_departure=s.declared,
                ),
            )
            for s in replay.sessions
        ]
    )
    planner: Any = None
    scheduler: Any
    if algorithm == "edf":
        scheduler = SortedSchedulingAlgo(earliest_deadline_first)
    elif algorithm == "llf":
        scheduler = SortedSchedulingAlgo(least_laxity_first)
    elif algorithm in ("ours", "ours-declared", "ours-oracle"):
        extra = ["--likely-stay-share", "1"] if algorithm == "ours-declared" else []
        planner = planner_algo(
            replay, limit_kw, project_root, extra, oracle=algorithm == "ours-oracle"
        )
        scheduler = planner
    else:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    sim = acnsim.Simulator(
        network,
        scheduler,
        events,
        replay.start_utc,
        period=15,
        verbose=False,
        interface_type=declared_interface,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.run()
    invalid = sum(1 for w in caught if "Invalid schedule" in str(w.message))
    power = acnsim.aggregate_power(sim)  # kW per period
    over = int((power > limit_kw * (1 + 1e-6) + 1e-6).sum())
    cost = float(
        sum(p * H * replay.prices[min(k, len(replay.prices) - 1)] for k, p in enumerate(power))
    )
    evs = list(sim.ev_history.values())
    early = {s.session_id for s in replay.sessions if s.early}
    met_ids = {
        ev.session_id
        for ev in evs
        if ev.requested_energy - ev.energy_delivered
        <= max(MET_RELATIVE * ev.requested_energy, MET_ABSOLUTE)
    }
    met = len(met_ids)
    return Result(
        algorithm=algorithm,
        limit_kw=limit_kw,
        sessions=len(evs),
        requested_kwh=sum(ev.requested_energy for ev in evs),
        delivered_kwh=sum(ev.energy_delivered for ev in evs),
        met=met,
        cost_eur=cost,
        peak_kw=float(power.max()) if len(power) else 0.0,
        over_limit_periods=over,
        schedule_warnings=invalid,
        over_request_kwh=max((ev.energy_delivered - ev.requested_energy for ev in evs), default=0),
        early_sessions=sum(1 for ev in evs if ev.session_id in early),
        early_met=len(met_ids & early),
        planner=planner.stats if planner is not None else None,
    )


HEADER = (
    "limit kW",
    "algorithm",
    "sessions",
    "energy %",
    "met %",
    "met % early / on time",
    "EUR/kWh",
    "peak kW",
    "over limit",
    "planner s mean/max (calls)",
    "invalid plans",
)


def format_row(r: Result) -> str:
    plan = "-"
    invalid = "-"
    if r.planner is not None:
        w = r.planner.walls
        plan = f"{sum(w) / len(w):.2f} / {max(w):.2f} ({len(w)})" if w else "- (0)"
        invalid = str(r.planner.invalid_plans)
    cells = (
        f"{r.limit_kw:g}",
        LABELS[r.algorithm],
        str(r.sessions),
        f"{100 * r.delivered_share:.1f}",
        f"{100 * r.met_share:.1f}",
        f"{_pct(r.early_met, r.early_sessions)} / "
        f"{_pct(r.met - r.early_met, r.sessions - r.early_sessions)}",
        f"{r.eur_per_kwh:.4f}",
        f"{r.peak_kw:.2f}",
        str(r.over_limit_periods + r.schedule_warnings),
        plan,
        invalid,
    )
    return " | ".join(cells)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}" if whole else "-"
