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

import csv
import json
import math
import os
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Amsterdam")


def shared_data_dir() -> Path:
    env = os.environ.get("WISSELSTROOM_SHARED_DATA")
    if env:
        return Path(env)
    # energy/dispatch/bench.py -> project root is parents[2]; data lives in ../shared/data
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


@dataclass(frozen=True)
class Case:
    name: str
    shared: int
    private: int
    bookings: int
    day: date
    days: int
    price_kind: str  # "2025" (15-min) or "2019" (hourly)
    flexibility: bool
    site_scale: float = 1.0  # x (250 kW, 400 kWp, 122 homes)
    seed: int = 1
    classes: int = 0  # >0: shared cars share this many initial states (bound aggregation)


CASES = {
    "a": Case(
        "a",
        shared=100,
        private=40,
        bookings=300,
        day=date(2025, 10, 15),
        days=1,
        price_kind="2025",
        flexibility=False,
    ),
    "b": Case(
        "b",
        shared=1000,
        private=0,
        bookings=3000,
        day=date(2025, 10, 15),
        days=1,
        price_kind="2025",
        flexibility=False,
        site_scale=10.0,
        classes=10,
    ),
    "c": Case(
        "c",
        shared=20,
        private=70,
        bookings=120,
        day=date(2019, 5, 27),
        days=7,
        price_kind="2019",
        flexibility=True,
    ),
}


def build(case: Case) -> dict[str, Any]:
    """The scenario document (spec JSON) of `case`."""
    rng = random.Random(case.seed)
    inst = slot_instants(case.day, case.days)
    n = len(inst)
    h = 0.25
    specs = _ev_specs()
    weights = [w for _, _, w in specs]
    vehicles: list[dict[str, Any]] = []
    states = [rng.uniform(0.5, 0.95) for _ in range(max(1, case.classes))]
    for i in range(case.shared):
        _name, battery, _ = (
            rng.choices(specs, weights)[0]
            if not case.classes
            else specs[i % min(len(specs), case.classes)]
        )
        share = states[i % len(states)] if case.classes else rng.uniform(0.5, 0.95)
        v2g = i % 3 == 0
        vehicles.append(
            {
                "id": f"shared-{i:04d}",
                "kind": "shared",
                "battery_kwh": battery,
                "initial_soc_kwh": round(battery * share, 3),
                "min_soc_kwh": round(0.1 * battery, 3),
                "max_charge_kw": 11.0,
                "max_discharge_kw": 11.0 if v2g else 0.0,
                "charge_efficiency": 0.92,
                "discharge_efficiency": 0.92,
                "consumption_kwh_per_km": round(0.15 + 0.05 * battery / 80.0, 4),
            }
        )
    vehicles.extend(_private_cars(case, inst, rng, specs, weights))
    bookings = _bookings(case, n, rng)
    site_scale = case.site_scale
    pv = [round(400.0 * site_scale * x, 3) for x in pv_per_kwp(inst)]
    price = [round(x, 5) for x in prices(inst, case.price_kind)]
    doc: dict[str, Any] = {
        "format": "v2g-hub-scenario/1",
        "name": f"bench-{case.name}-seed{case.seed}",
        "timezone": "Europe/Amsterdam",
        "start": inst[0].astimezone(TZ).isoformat(),
        "slot_minutes": 15,
        "slots": n,
        "site": {
            "grid_import_limit_kw": 250.0 * site_scale,
            "grid_export_limit_kw": 250.0 * site_scale,
            "base_load_kw": base_load(inst, int(122 * site_scale), rng),
            "pv_kw": pv,
        },
        "prices": {"import_eur_per_kwh": price, "export_eur_per_kwh": list(price)},
        "degradation_eur_per_kwh": 0.02,
        "vehicles": vehicles,
        "bookings": bookings,
    }
    if case.flexibility:
        up, down = [], []
        for t in range(n):
            if t % 4 == 0:
                fu, fdn = 0.004 * rng.uniform(0.5, 1.5), 0.003 * rng.uniform(0.5, 1.5)
            up.append(round(fu, 5))
            down.append(round(fdn, 5))
        doc["flexibility"] = {"up_eur_per_kw": up, "down_eur_per_kw": down}
    del h
    return doc


def _private_cars(
    case: Case,
    inst: list[datetime],
    rng: random.Random,
    specs: list[tuple[str, float, int]],
    weights: list[int],
) -> list[dict[str, Any]]:
    """Residents' cars from real sessions: same calendar week for a week case, else sessions
    of any 2019 weekday moved onto the case's day by their local plug-in time."""
    if case.private == 0:
        return []
    n = len(inst)
    start = inst[0]
    sessions = _sessions()
    chosen: list[tuple[int, int, float]] = []
    if case.days >= 7:
        end = inst[-1] + timedelta(minutes=15)
        for r in sessions:
            a, z = _utc(r["plugin_utc"]), _utc(r["plugout_utc"])
            if start <= a < end - timedelta(hours=1) and z > a:
                s0 = int((a - start).total_seconds() // 900)
                s1 = math.ceil((z - start).total_seconds() / 900)
                chosen.append((s0, s1, float(r["energy_kwh"])))
        rng.shuffle(chosen)
        chosen = chosen[: case.private]
    else:
        pool = [
            r
            for r in sessions
            if r["plugin_utc"].startswith("2019") and r["weekday"] not in ("Saturday", "Sunday")
        ]
        for r in rng.sample(pool, case.private):
            loc = datetime.fromisoformat(r["plugin_local"])
            dur = _utc(r["plugout_utc"]) - _utc(r["plugin_utc"])
            a = datetime(
                case.day.year, case.day.month, case.day.day, loc.hour, loc.minute, tzinfo=TZ
            ).astimezone(UTC)
            s0 = max(0, int((a - start).total_seconds() // 900))
            s1 = s0 + max(1, math.ceil(dur.total_seconds() / 900))
            chosen.append((min(s0, n - 2), s1, float(r["energy_kwh"])))
    out = []
    for j, (s0, s1, energy) in enumerate(chosen):
        _name, battery, _ = rng.choices(specs, weights)[0]
        initial = battery * rng.uniform(0.2, 0.6)
        out.append(
            {
                "id": f"resident-{j:03d}",
                "kind": "private",
                "battery_kwh": battery,
                "initial_soc_kwh": round(initial, 3),
                "min_soc_kwh": round(0.05 * battery, 3),
                "max_charge_kw": 11.0,
                "max_discharge_kw": 0.0,
                "charge_efficiency": 0.92,
                "discharge_efficiency": 0.92,
                "consumption_kwh_per_km": 0.17,
                "plugged_in_from_slot": s0,
                "departure_slot": max(s1, s0 + 1),
                "departure_soc_kwh": round(min(battery, initial + energy), 3),
            }
        )
    return out


def _bookings(case: Case, n: int, rng: random.Random) -> list[dict[str, Any]]:
    max_dur = 48 if case.days >= 7 else 12
    out = []
    for j in range(case.bookings):
        day = rng.randrange(case.days)
        hour = rng.uniform(7.0, 21.0)
        s = min(n - 2, int((day * 24 + hour) * 4))
        dur_h = min(max_dur, max(1.0, rng.lognormvariate(math.log(2.5), 0.6)))
        e = min(n, s + max(1, round(dur_h * 4)))
        km = min(250.0, max(5.0, rng.lognormvariate(math.log(45.0), 0.7)))
        out.append(
            {
                "id": f"booking-{j:04d}",
                "start_slot": s,
                "end_slot": e,
                "promised_range_km": round(km, 1),
                "expected_km": round(km * rng.uniform(0.5, 1.0), 1),
                "vehicle": None,
            }
        )
    return out


# --------------------------------------------------------------------------- running cases


def _child(job: str, case_name: str, time_limit: float, seed: int, out: Any) -> None:
    """One measurement in a fresh process, so ru_maxrss is this job's own peak (C++ included)."""
    import resource
    import time as _time

    from .baselines import baseline_plan
    from .check import check_plan
    from .core import Arrays
    from .lp import build_and_solve
    from .scenario import parse_scenario
    from .solver import solve

    # the C++ solvers print a banner on fd 1; keep the benchmark table clean
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    case = CASES[case_name]
    case = Case(**{**case.__dict__, "seed": seed})
    scn = parse_scenario(build(case))
    result: dict[str, Any] = {}
    t0 = _time.perf_counter()
    if job == "solve":
        plan = solve(scn, time_limit=time_limit, compute_bound=False)
        result["seconds"] = _time.perf_counter() - t0
        chk = check_plan(scn, plan)
        result["score"] = chk.terms.score
        result["violations"] = len(chk.violations)
        result["promise_violations"] = sum(1 for v in chk.violations if "rule 6" in v)
        result["status"] = plan.summary.get("status")
        result["unserved"] = chk.terms.unserved_bookings
        result["shortfall_kwh"] = chk.terms.shortfall_kwh
        result["flex_income"] = chk.terms.flex_income
    elif job in ("uncontrolled", "greedy"):
        plan = baseline_plan(scn, job)
        chk = check_plan(scn, plan)
        result["score"] = chk.terms.score
        result["violations"] = len(chk.violations)
    else:
        rel = build_and_solve(scn, Arrays.of(scn), "relaxed", time_limit=time_limit)
        result["score"] = rel.objective if rel.status == "OPTIMAL" else None
        result["status"] = rel.status
        result["seconds"] = rel.seconds
    result["maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    out.put(result)


def measure(job: str, case_name: str, time_limit: float, seed: int = 1) -> dict[str, Any]:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=_child, args=(job, case_name, time_limit, seed, q))
    proc.start()
    try:
        res: dict[str, Any] = q.get(timeout=time_limit * 3 + 120)
    except Exception:
        res = {"error": f"{job} did not finish"}
    proc.join(timeout=10)
    if proc.is_alive():
        proc.kill()
    return res


HEADER = (
    "case",
    "vehicles",
    "bookings",
    "slots",
    "seconds",
    "peak_MiB",
    "score",
    "uncontrolled",
    "greedy",
    "bound",
    "captured",
    "promise_viol",
    "invalid",
    "status",
)


def run_case(
    case_name: str, time_limit: float, bound_time_limit: float = 600.0, seed: int = 1
) -> dict[str, Any]:
    case = Case(**{**CASES[case_name].__dict__, "seed": seed})
    doc = build(case)
    sol = measure("solve", case_name, time_limit, seed)
    unc = measure("uncontrolled", case_name, time_limit, seed)
    gre = measure("greedy", case_name, time_limit, seed)
    bnd = measure("bound", case_name, bound_time_limit, seed)
    score, u, b = sol.get("score"), unc.get("score"), bnd.get("score")
    captured = None
    if score is not None and u is not None and b is not None and u - b > 1e-9:
        captured = (u - score) / (u - b)
    return {
        "case": case_name,
        "vehicles": len(doc["vehicles"]),
        "bookings": len(doc["bookings"]),
        "slots": doc["slots"],
        "seconds": sol.get("seconds"),
        "peak_MiB": sol.get("maxrss_mib"),
        "score": score,
        "uncontrolled": u,
        "greedy": gre.get("score"),
        "bound": b,
        "captured": captured,
        "promise_viol": sol.get("promise_violations"),
        "invalid": sum(int(bool(r.get("violations"))) for r in (sol, unc, gre)),
        "status": sol.get("status", sol.get("error")),
        "unserved": sol.get("unserved"),
        "bound_seconds": bnd.get("seconds"),
        "bound_status": bnd.get("status"),
    }


def format_row(row: dict[str, Any]) -> str:
    def f(x: Any) -> str:
        if x is None:
            return "-"
        if isinstance(x, float):
            return f"{x:.3f}" if abs(x) < 1e5 else f"{x:.4g}"
        return str(x)

    out = []
    for k in HEADER:
        v = row.get(k)
        if k == "captured" and isinstance(v, float):
            out.append(f"{100 * v:.1f}%")
        else:
            out.append(f(v))
    return " | ".join(out)
