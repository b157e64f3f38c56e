"""A robustness sweep of `plan_scenario` and `check_plan` on many varied scenarios.

`python -m bench.dispatch.sweep [--seeds K] [--only SUBSTRING] [--keep DIR] [--json FILE]`

Each run is a scenario the dispatcher has not seen: a benchmark case of `cases.py` with seeds
2..K (fleet, bookings, base load and flexibility prices are drawn from the seed), scaled down so
that most runs take at most 10 s, and mutations of the documents: per-slot grid bands with dips
(a capacity cap, a forced export = negative import limit, a forced import = negative export
limit), flexibility on and off, base-load spikes, PV zero or huge, private cars leaving after the
horizon, bookings at the very first and last slot, 92-, 100- and 672-slot horizons, no vehicles
or no bookings, time limits from 1 s to 30 s, and documents that break the spec.

Each run is `manage.py plan_scenario` in a fresh process (wall clock from before the process
starts until it has exited), then `manage.py check_plan` on what it wrote. What a run expects:

* `valid`: a plan that keeps every rule exists (all cars idle keeps the band in every slot), so
  the plan written must be valid;
* `unkept`: in some slot no plan can keep the band (even every car at full power in the right
  direction misses it), so exit 0 with a plan whose only violations are rule 7 in slots that
  its summary names in `band_unkept_slots`;
* `either`: one of the two;
* `error`: the document breaks the spec: exit 2, exactly one line on stderr, nothing written.

A failure is a traceback on stderr, a wrong exit code, an invalid plan, a multi-line error, or an
overrun (wall > limit + 1 s). One table row per run; `--json` keeps every result.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .cases import CASES, build

ROOT = Path(__file__).resolve().parents[2]
OVERRUN_S = 1.0


@dataclass
class Run:
    name: str
    doc: Any  # a scenario document, or the raw text of a broken one (str)
    limit: float
    expect: str = ""  # valid | unkept | either | error; "" = work it out from the band


@dataclass
class Result:
    name: str
    limit: float
    expect: str
    slots: int
    vehicles: int
    bookings: int
    code: int = -1
    wall: float = 0.0
    check: str = ""  # valid | unkept | N violation(s) | -
    failures: list[str] = dataclasses.field(default_factory=list)
    detail: list[str] = dataclasses.field(default_factory=list)


# -- building the runs ---------------------------------------------------------------------------


def _small(name: str, seed: int, **kw: Any) -> dict[str, Any]:
    base = CASES[name]
    return build(dataclasses.replace(base, seed=seed, **kw))


def _arr(value: Any, n: int) -> list[float]:
    return list(value) if isinstance(value, list) else [float(value)] * n


def _set_band(doc: dict[str, Any], imp: list[float], exp: list[float]) -> dict[str, Any]:
    doc["site"]["grid_import_limit_kw"] = [round(x, 3) for x in imp]
    doc["site"]["grid_export_limit_kw"] = [round(x, 3) for x in exp]
    return doc


def _hours(doc: dict[str, Any], a: float, z: float) -> list[int]:
    """Slots whose offset from the start lies in [a, z) hours (local clock ignored)."""
    return [t for t in range(doc["slots"]) if a <= t / 4.0 < z]


def _mut_dips(doc: dict[str, Any], seed: int) -> dict[str, Any]:
    """A capacity cap at the evening peak down to what the base load needs (cars idle still fit)."""
    n = doc["slots"]
    imp = _arr(doc["site"]["grid_import_limit_kw"], n)
    exp = _arr(doc["site"]["grid_export_limit_kw"], n)
    base, pv = doc["site"]["base_load_kw"], doc["site"]["pv_kw"]
    for t in _hours(doc, 16 + seed % 3, 20 + seed % 3):
        imp[t] = max(0.0, base[t] - pv[t]) + 2.0
    return _set_band(doc, imp, exp)


def _mut_forced_export(doc: dict[str, Any], seed: int, share: float) -> dict[str, Any]:
    """A negative import limit at midday: export at least `share` of the PV surplus there."""
    n = doc["slots"]
    imp = _arr(doc["site"]["grid_import_limit_kw"], n)
    exp = _arr(doc["site"]["grid_export_limit_kw"], n)
    base, pv = doc["site"]["base_load_kw"], doc["site"]["pv_kw"]
    for t in _hours(doc, 11 + seed % 2, 14):
        surplus = pv[t] - base[t]
        imp[t] = -max(5.0, share * surplus)
        exp[t] = max(exp[t], -imp[t] + 1.0)  # keep the band non-empty (else a spec error)
    return _set_band(doc, imp, exp)


def _mut_forced_import(doc: dict[str, Any], seed: int, kw: float) -> dict[str, Any]:
    """A negative export limit (a floor on import) for two hours at night."""
    n = doc["slots"]
    imp = _arr(doc["site"]["grid_import_limit_kw"], n)
    exp = _arr(doc["site"]["grid_export_limit_kw"], n)
    for t in _hours(doc, 1 + seed % 3, 3 + seed % 3):
        exp[t] = -kw
        imp[t] = max(imp[t], kw + 1.0)
    return _set_band(doc, imp, exp)


def _mut_spikes(doc: dict[str, Any], seed: int) -> dict[str, Any]:
    base = doc["site"]["base_load_kw"]
    for k in range(5):
        t = (seed * 37 + k * 53) % len(base)
        base[t] = round(base[t] * 4.0 + 50.0, 3)
    lim = doc["site"]["grid_import_limit_kw"]
    n = doc["slots"]
    imp = _arr(lim, n)
    # keep the all-idle plan inside the band where a spike hits
    for t in range(n):
        imp[t] = max(imp[t], base[t] + 1.0)
    doc["site"]["grid_import_limit_kw"] = imp
    return doc


def _mut_pv(doc: dict[str, Any], factor: float) -> dict[str, Any]:
    doc["site"]["pv_kw"] = [round(x * factor, 3) for x in doc["site"]["pv_kw"]]
    return doc


def _mut_flex(doc: dict[str, Any], on: bool) -> dict[str, Any]:
    n = doc["slots"]
    if not on:
        doc.pop("flexibility", None)
    else:
        doc["flexibility"] = {
            "up_eur_per_kw": [round(0.002 + 0.004 * ((t * 7) % 5) / 5, 5) for t in range(n)],
            "down_eur_per_kw": [round(0.001 + 0.003 * ((t * 3) % 7) / 7, 5) for t in range(n)],
        }
    return doc


def _mut_departures(doc: dict[str, Any]) -> dict[str, Any]:
    """Half the private cars leave after the horizon (rule 6's moved check)."""
    n = doc["slots"]
    priv = [v for v in doc["vehicles"] if v["kind"] == "private"]
    for j, v in enumerate(priv):
        if j % 2 == 0:
            v["departure_slot"] = n + 4 + 40 * (j % 3)
            v["departure_soc_kwh"] = round(v["battery_kwh"] * 0.9, 3)
    return doc


def _mut_edges(doc: dict[str, Any]) -> dict[str, Any]:
    """Bookings at the very first slot and ending at the very last; one bound to a car."""
    n = doc["slots"]
    shared = [v["id"] for v in doc["vehicles"] if v["kind"] == "shared"]
    extra = [
        {"id": "edge-first", "start_slot": 0, "end_slot": 4, "promised_range_km": 60.0},
        {"id": "edge-last", "start_slot": n - 1, "end_slot": n, "promised_range_km": 80.0},
        {"id": "edge-tail", "start_slot": n - 12, "end_slot": n, "promised_range_km": 120.0},
        {"id": "edge-one", "start_slot": 0, "end_slot": 1, "promised_range_km": 5.0},
    ]
    if shared:
        extra[1]["vehicle"] = shared[-1]
    doc["bookings"].extend(extra)
    return doc


def _mut_tight(doc: dict[str, Any]) -> dict[str, Any]:
    """A tight grid all day: import limit just above what the base load needs at its peak."""
    base, pv = doc["site"]["base_load_kw"], doc["site"]["pv_kw"]
    peak = max(b - p for b, p in zip(base, pv, strict=True))
    doc["site"]["grid_import_limit_kw"] = round(max(peak, 0.0) + 15.0, 3)
    return doc


def _week(start: date, seed: int, shared: int, private: int, bookings: int) -> dict[str, Any]:
    return _small(
        "c", seed, day=start, shared=shared, private=private, bookings=bookings, flexibility=True
    )


def runs(seeds: int) -> Iterator[Run]:
    """Every run of the sweep, in a fixed order."""
    for seed in range(2, seeds + 1):
        lim = (1.0, 3.0, 5.0, 10.0)[seed % 4]
        # the small cases as they are, with a new seed
        for name in ("s92", "s100", "cap", "d2"):
            yield Run(f"{name}/seed{seed}", _small(name, seed), CASES_LIMIT.get(name, 10.0))
        yield Run(f"af/seed{seed}", _small("af", seed), 5.0)
        yield Run(f"s92/seed{seed}/t{lim:g}", _small("s92", seed), lim)
        # band mutations on the clock-change days and the two-day case
        yield Run(f"s100/seed{seed}/dips", _mut_dips(_small("s100", seed), seed), 5.0)
        yield Run(
            f"s92/seed{seed}/forced-export",
            _mut_forced_export(_small("s92", seed), seed, 0.5),
            5.0,
        )
        yield Run(
            f"d2/seed{seed}/forced-import",
            _mut_forced_import(_small("d2", seed), seed, 60.0),
            8.0,
        )
        yield Run(
            f"cap/seed{seed}/forced-import-huge",
            _mut_forced_import(_small("cap", seed), seed, 5000.0),
            5.0,
        )
        yield Run(
            f"s100/seed{seed}/forced-export-huge",
            _mut_forced_export(_small("s100", seed), seed, 40.0),
            5.0,
        )
        yield Run(f"cap/seed{seed}/flex-off", _mut_flex(_small("cap", seed), False), 5.0)
        yield Run(f"s100/seed{seed}/flex-on", _mut_flex(_small("s100", seed), True), 5.0)
        yield Run(f"d2/seed{seed}/spikes", _mut_spikes(_small("d2", seed), seed), 8.0)
        yield Run(f"s92/seed{seed}/pv0", _mut_pv(_small("s92", seed), 0.0), 3.0)
        yield Run(f"s100/seed{seed}/pv-huge", _mut_pv(_small("s100", seed), 20.0), 3.0)
        yield Run(f"cap/seed{seed}/departures", _mut_departures(_small("cap", seed)), 5.0)
        yield Run(f"s92/seed{seed}/edges", _mut_edges(_small("s92", seed)), 3.0)
        yield Run(
            f"s100/seed{seed}/edges-flex-tight",
            _mut_flex(_mut_edges(_mut_tight(_small("s100", seed))), True),
            5.0,
        )
    # horizons and fleets at the edges
    yield Run("empty/none", _small("s92", 2, shared=0, private=0, bookings=0), 1.0)
    yield Run("empty/no-vehicles", _small("s100", 2, shared=0, private=0, bookings=10), 1.0)
    yield Run("empty/no-bookings", _small("d2", 2, bookings=0), 3.0)
    yield Run("empty/private-only", _small("s100", 3, shared=0, bookings=0), 2.0)
    yield Run("empty/shared-only-flex", _small("s92", 3, private=0), 2.0)
    yield Run("week/2019-05-27", _week(date(2019, 5, 27), 2, 5, 12, 30), 10.0)
    yield Run("week/2019-05-27/t3", _week(date(2019, 5, 27), 3, 4, 8, 20), 3.0)
    yield Run(
        "week/2019-05-27/forced-import",
        _mut_forced_import(_week(date(2019, 5, 27), 4, 5, 10, 25), 4, 20.0),
        10.0,
    )
    yield Run("week/2019-05-27/no-bookings", _week(date(2019, 5, 27), 5, 3, 10, 0), 5.0)
    yield Run("week/2019-05-27/t30", _week(date(2019, 5, 27), 6, 20, 40, 80), 30.0)
    yield Run(
        "week/2019-05-27/departures-edges",
        _mut_edges(_mut_departures(_week(date(2019, 5, 27), 7, 4, 8, 15))),
        8.0,
    )
    yield Run("a/seed5", _small("a", 5), 5.0)
    yield Run("a/seed6/t2", _small("a", 6), 2.0)
    yield Run("af/seed7/t1", _small("af", 7), 1.0)
    yield Run("m/seed5/t20", _small("m", 5), 20.0)
    yield from _odd()
    yield from _stress()
    yield from _edges()
    yield from _broken()


def _coarse(doc: dict[str, Any], k: int) -> dict[str, Any]:
    """The same day in slots of `k` x 15 minutes (per-slot arrays averaged, slots rounded so
    that a car is away at least as long)."""
    n = doc["slots"] // k
    doc["slot_minutes"] = 15 * k
    doc["slots"] = n

    def avg(xs: list[float]) -> list[float]:
        return [round(sum(xs[i * k : (i + 1) * k]) / k, 5) for i in range(n)]

    site = doc["site"]
    for key in ("base_load_kw", "pv_kw"):
        site[key] = avg(site[key])
    for key in ("grid_import_limit_kw", "grid_export_limit_kw"):
        if isinstance(site[key], list):
            site[key] = avg(site[key])
    for key in ("import_eur_per_kwh", "export_eur_per_kwh"):
        doc["prices"][key] = avg(doc["prices"][key])
    if "flexibility" in doc:
        for key in ("up_eur_per_kw", "down_eur_per_kw"):
            doc["flexibility"][key] = avg(doc["flexibility"][key])
    for v in doc["vehicles"]:
        if "plugged_in_from_slot" in v:
            v["plugged_in_from_slot"] = min(n - 1, -(-v["plugged_in_from_slot"] // k))
        if "departure_slot" in v:
            v["departure_slot"] = max(v["plugged_in_from_slot"] + 1, v["departure_slot"] // k)
    books = []
    for b in doc["bookings"]:
        a, z = b["start_slot"] // k, -(-b["end_slot"] // k)
        if a < min(z, n):
            books.append({**b, "start_slot": a, "end_slot": min(z, n)})
    doc["bookings"] = books
    return doc


def _tiny(n: int) -> dict[str, Any]:
    """A horizon of `n` slots cut from the start of s100."""
    doc = _small("s100", 4, shared=3, private=2, bookings=0, flexibility=True)
    doc["slots"] = n
    site = doc["site"]
    for key in ("base_load_kw", "pv_kw"):
        site[key] = site[key][:n]
    for key in ("import_eur_per_kwh", "export_eur_per_kwh"):
        doc["prices"][key] = doc["prices"][key][:n]
    if "flexibility" in doc:
        for key in ("up_eur_per_kw", "down_eur_per_kw"):
            doc["flexibility"][key] = doc["flexibility"][key][:n]
    for j, v in enumerate(doc["vehicles"]):
        if v["kind"] == "private":
            v["plugged_in_from_slot"] = 0
            v["departure_slot"] = n + j  # at or after the end
    doc["bookings"] = [{"id": "only", "start_slot": 0, "end_slot": n, "promised_range_km": 20.0}]
    return doc


def _long(weeks: int, seed: int) -> dict[str, Any]:
    """`weeks` x 672 slots (4,032 = 6 weeks is the spec's most), a handful of cars."""
    doc = _small(
        "c", seed, days=7 * weeks, shared=3, private=0, bookings=10 * weeks, flexibility=False
    )
    return doc


def _odd() -> Iterator[Run]:
    """Documents legal under the spec that the benchmark never makes."""
    yield Run("odd/hourly-s100", _coarse(_small("s100", 5), 4), 3.0)
    yield Run("odd/half-hourly-cap", _coarse(_small("cap", 5), 2), 3.0)
    yield Run(
        "odd/hourly-forced-import", _mut_forced_import(_coarse(_small("d2", 6), 4), 6, 40.0), 3.0
    )
    yield Run("odd/1-slot", _tiny(1), 1.0)
    yield Run("odd/2-slots", _tiny(2), 1.0)
    yield Run("odd/5-slots-forced-export", _mut_forced_export_all(_tiny(5), 3.0), 1.0)
    yield Run("odd/4032-slots", _long(6, 2), 10.0)
    yield Run("odd/2016-slots-t3", _long(3, 3), 3.0)
    d = _small("s92", 6)
    d["min_turnaround_slots"] = 0
    d["prices"]["import_eur_per_kwh"] = [-abs(x) - 0.01 for x in d["prices"]["import_eur_per_kwh"]]
    d["prices"]["export_eur_per_kwh"] = [-abs(x) - 0.02 for x in d["prices"]["export_eur_per_kwh"]]
    yield Run("odd/negative-prices-turnaround0", d, 3.0)
    d = _small("s100", 6)
    d["min_turnaround_slots"] = 30
    d["unserved_penalty_eur"] = 0.0
    d["shortfall_penalty_eur_per_kwh"] = 0.0
    d["terminal_value_eur_per_kwh"] = 0.5
    yield Run("odd/turnaround30-free-penalties", d, 3.0)
    d = _small("cap", 7)
    for j, v in enumerate(d["vehicles"]):
        v["charge_efficiency"] = v["discharge_efficiency"] = 1.0
        if j % 4 == 0:
            v["max_charge_kw"] = 0.0
        if j % 5 == 0 and v["kind"] == "shared":
            v["unavailable"] = [[20, 40], [60, 62]]
        if j % 6 == 1:
            v["plugged_in_from_slot"] = 30
    # bookings may now hit an unavailable window or a late plug-in: move those off
    d["bookings"] = [b for b in d["bookings"] if b.get("vehicle") is None]
    yield Run("odd/eff1-nocharge-unavailable-late", d, 5.0)
    d = _mut_flex(_small("s92", 7, private_v2g=1.0), True)
    yield Run("odd/all-v2g-forced-export-flex", _mut_forced_export(d, 7, 1.5), 5.0)
    d = _small("d2", 7)
    shared = [v["id"] for v in d["vehicles"] if v["kind"] == "shared"]
    # bind every other booking to a car, round robin, where it does not clash
    last: dict[str, int] = {}
    for j, b in enumerate(sorted(d["bookings"], key=lambda b: b["start_slot"])):
        vid = shared[j % len(shared)]
        if j % 2 == 0 and b["start_slot"] >= last.get(vid, -10) + 2:
            b["vehicle"] = vid
            last[vid] = b["end_slot"]
    yield Run("odd/half-bound", d, 5.0)


def _mut_forced_export_all(doc: dict[str, Any], kw: float) -> dict[str, Any]:
    """Export at least `kw` in every slot (keepable only if cars can feed back)."""
    n = doc["slots"]
    doc["site"]["grid_import_limit_kw"] = [-kw] * n
    doc["site"]["grid_export_limit_kw"] = [250.0] * n
    return doc


def _plugged_kw(doc: dict[str, Any], t: int, key: str) -> float:
    """Σ `key` (max_charge_kw / max_discharge_kw) over the cars that can be plugged in at t."""
    n = doc["slots"]
    return sum(
        v[key]
        for v in doc["vehicles"]
        if v.get("plugged_in_from_slot", 0) <= t < v.get("departure_slot", n)
    )


def _mut_import_floor_share(
    doc: dict[str, Any], a: float, z: float, share: float
) -> dict[str, Any]:
    """Import at least base load + `share` of what the plugged cars can draw, hours [a, z)."""
    n = doc["slots"]
    imp = _arr(doc["site"]["grid_import_limit_kw"], n)
    exp = _arr(doc["site"]["grid_export_limit_kw"], n)
    base = doc["site"]["base_load_kw"]
    for t in _hours(doc, a, z):
        floor = base[t] + share * _plugged_kw(doc, t, "max_charge_kw")
        exp[t] = -floor
        imp[t] = max(imp[t], floor + 1.0)
    return _set_band(doc, imp, exp)


def _mut_export_floor_share(
    doc: dict[str, Any], a: float, z: float, share: float
) -> dict[str, Any]:
    """Export at least PV - base + `share` of what the plugged cars can feed back, hours [a, z)."""
    n = doc["slots"]
    imp = _arr(doc["site"]["grid_import_limit_kw"], n)
    exp = _arr(doc["site"]["grid_export_limit_kw"], n)
    base, pv = doc["site"]["base_load_kw"], doc["site"]["pv_kw"]
    for t in _hours(doc, a, z):
        floor = pv[t] - base[t] + share * _plugged_kw(doc, t, "max_discharge_kw")
        imp[t] = -floor
        exp[t] = max(exp[t], floor + 1.0)
    return _set_band(doc, imp, exp)


def _stress() -> Iterator[Run]:
    """Bigger documents with short limits, and bands only the cars can keep."""
    yield Run("stress/m-t3", _small("m", 6), 3.0)
    yield Run("stress/b-t10", _small("b", 6), 10.0)
    yield Run("stress/c-t5", _small("c", 2), 5.0)
    yield Run("stress/c-t1", _small("c", 3), 1.0)
    yield Run(
        "stress/week-150cars-t10",
        _small("c", 4, shared=60, private=90, bookings=300, private_v2g=0.5),
        10.0,
    )
    yield Run(
        "stress/4032-slots-40cars-t10",
        _small("c", 5, days=42, shared=20, private=0, bookings=200, flexibility=True),
        10.0,
    )
    yield Run(
        "stress/a-import-floor-0.6-night",
        _mut_import_floor_share(_small("a", 7), 2.0, 4.0, 0.6),
        5.0,
    )
    yield Run(
        "stress/af-import-floor-0.95-evening",
        _mut_import_floor_share(_small("af", 8), 18.0, 19.0, 0.95),
        5.0,
    )
    yield Run(
        "stress/s92-export-floor-0.5-v2g",
        _mut_export_floor_share(_small("s92", 8, private_v2g=0.5), 19.0, 20.0, 0.5),
        5.0,
    )
    yield Run(
        "stress/d2-export-floor-0.9-night",
        _mut_export_floor_share(_small("d2", 8), 26.0, 28.0, 0.9),
        8.0,
    )
    yield Run(
        "stress/week-import-floor-0.5",
        _mut_import_floor_share(_small("c", 6, shared=6, private=20, bookings=30), 50.0, 53.0, 0.5),
        8.0,
    )
    yield Run(
        "stress/s100-floor-first-slot",
        _mut_import_floor_share(_small("s100", 9), 0.0, 0.5, 0.5),
        3.0,
    )
    yield Run(
        "stress/s100-export-floor-last-slot",
        _mut_export_floor_share(_small("s100", 9, private_v2g=1.0), 24.75, 26.0, 0.5),
        3.0,
    )


def _edges() -> Iterator[Run]:
    """Single fields at the edge of what the spec allows."""
    d = _small("d2", 9, flexibility=True)
    n = d["slots"]
    shared = [v for v in d["vehicles"] if v["kind"] == "shared"]
    priv = [v for v in d["vehicles"] if v["kind"] == "private"]
    # a car on a trip past the horizon (export_scenario writes `slots`), one later still
    shared[0]["plugged_in_from_slot"] = n
    shared[1]["plugged_in_from_slot"] = n + 40
    priv[0]["plugged_in_from_slot"] = n
    priv[0]["departure_slot"] = n + 20
    d["bookings"] = [b for b in d["bookings"] if b.get("vehicle") is None]
    yield Run("edge/back-after-horizon", d, 5.0)
    d = _small("s100", 9)
    n = d["slots"]
    for v in d["vehicles"][:6]:
        v["unavailable"] = [[10, 30], [20, 40], [n - 1, n]]
    d["bookings"] = [b for b in d["bookings"] if b.get("vehicle") is None]
    yield Run("edge/overlapping-maintenance", d, 3.0)
    d = _small("s92", 9)
    for b in d["bookings"][:10]:
        b["expected_km"] = b["promised_range_km"] * 6  # a return below the floor if served
    yield Run("edge/trips-drain-the-battery", d, 3.0)
    d = _small("cap", 9)
    for v in d["vehicles"]:
        v["initial_soc_kwh"] = v["min_soc_kwh"] if v["kind"] == "shared" else v["battery_kwh"]
    yield Run("edge/shared-empty-private-full", d, 3.0)


CASES_LIMIT = {"s92": 10.0, "s100": 10.0, "cap": 10.0, "d2": 10.0}


def _broken() -> Iterator[Run]:
    """Documents that break the spec: exit 2, one line, nothing written."""
    ok = _small("s92", 2, shared=3, private=2, bookings=4)
    n = ok["slots"]

    def edit(name: str, fn: Callable[[dict[str, Any]], None]) -> Run:
        doc = copy.deepcopy(ok)
        fn(doc)
        return Run(f"error/{name}", doc, 2.0, "error")

    def empty_band(d: dict[str, Any]) -> None:
        imp, exp = [100.0] * n, [100.0] * n
        imp[10], exp[10] = -30.0, 20.0  # import at most -30 and export at most 20: empty
        d["site"]["grid_import_limit_kw"], d["site"]["grid_export_limit_kw"] = imp, exp

    def empty_band_scalar(d: dict[str, Any]) -> None:
        d["site"]["grid_import_limit_kw"], d["site"]["grid_export_limit_kw"] = -10.0, 5.0

    def short_array(d: dict[str, Any]) -> None:
        d["site"]["grid_import_limit_kw"] = [100.0] * (n - 1)

    def null_in_array(d: dict[str, Any]) -> None:
        d["site"]["grid_export_limit_kw"] = [100.0] * n
        d["site"]["grid_export_limit_kw"][3] = None

    def string_limit(d: dict[str, Any]) -> None:
        d["site"]["grid_import_limit_kw"] = "100"

    def bool_limit(d: dict[str, Any]) -> None:
        d["site"]["grid_import_limit_kw"] = [True] * n

    def nested(d: dict[str, Any]) -> None:
        d["site"]["grid_import_limit_kw"] = [[100.0]] * n

    def unknown_key(d: dict[str, Any]) -> None:
        d["site"]["grid_import_limits_kw"] = 100.0

    def no_export(d: dict[str, Any]) -> None:
        del d["site"]["grid_export_limit_kw"]

    def booking_past_end(d: dict[str, Any]) -> None:
        d["bookings"][0]["end_slot"] = n + 1

    def unknown_vehicle(d: dict[str, Any]) -> None:
        d["bookings"][0]["vehicle"] = "no-such-car"

    def private_no_departure(d: dict[str, Any]) -> None:
        for v in d["vehicles"]:
            if v["kind"] == "private":
                del v["departure_slot"]
                break

    def flex_short(d: dict[str, Any]) -> None:
        d["flexibility"]["up_eur_per_kw"] = d["flexibility"]["up_eur_per_kw"][:-3]

    def slots_too_many(d: dict[str, Any]) -> None:
        d["slots"] = 5000

    def wrong_slot_count(d: dict[str, Any]) -> None:
        d["slots"] = n + 4  # every per-slot array now has the wrong length

    for name, fn in (
        ("empty-band", empty_band),
        ("empty-band-scalar", empty_band_scalar),
        ("short-import-array", short_array),
        ("null-in-export-array", null_in_array),
        ("string-limit", string_limit),
        ("bool-limits", bool_limit),
        ("nested-array", nested),
        ("unknown-site-key", unknown_key),
        ("no-export-limit", no_export),
        ("booking-past-end", booking_past_end),
        ("unknown-bound-vehicle", unknown_vehicle),
        ("private-no-departure", private_no_departure),
        ("flex-short", flex_short),
        ("slots-5000", slots_too_many),
        ("slots-mismatch", wrong_slot_count),
    ):
        yield edit(name, fn)
    text = json.dumps(ok)
    yield Run(
        "error/nan-limit",
        text.replace('"grid_import_limit_kw": 250.0', '"grid_import_limit_kw": NaN'),
        2.0,
        "error",
    )
    yield Run(
        "error/infinity-limit",
        text.replace('"grid_export_limit_kw": 250.0', '"grid_export_limit_kw": -Infinity'),
        2.0,
        "error",
    )
    yield Run("error/truncated-json", text[: len(text) // 2], 2.0, "error")
    yield Run("error/not-an-object", "[1, 2, 3]", 2.0, "error")


# -- what a band allows --------------------------------------------------------------------------


def expectation(doc: dict[str, Any]) -> str:
    """valid if all cars idle keeps the band everywhere, unkept if no power at all can, else
    either (only a plan can tell)."""
    n = doc["slots"]
    site = doc["site"]
    imp, exp = _arr(site["grid_import_limit_kw"], n), _arr(site["grid_export_limit_kw"], n)
    base, pv = site["base_load_kw"], site["pv_kw"]
    charge = sum(v["max_charge_kw"] for v in doc["vehicles"])
    discharge = sum(v["max_discharge_kw"] for v in doc["vehicles"])
    idle_ok, any_ok = True, True
    for t in range(n):
        lo, hi = -exp[t], imp[t]
        if not (base[t] - pv[t] <= hi + 1e-9 and base[t] >= lo - 1e-9):
            idle_ok = False
        if not (base[t] - pv[t] - discharge <= hi + 1e-9 and base[t] + charge >= lo - 1e-9):
            any_ok = False
    if idle_ok:
        return "valid"
    return "either" if any_ok else "unkept"


# -- running -------------------------------------------------------------------------------------


def _manage(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def run_one(run: Run, tmp: Path) -> Result:
    doc = run.doc
    is_doc = isinstance(doc, dict)
    expect = run.expect or (expectation(doc) if is_doc else "error")
    res = Result(
        run.name,
        run.limit,
        expect,
        doc.get("slots", 0) if is_doc else 0,
        len(doc.get("vehicles", [])) if is_doc else 0,
        len(doc.get("bookings", [])) if is_doc else 0,
    )
    safe = run.name.replace("/", "_")
    src, out = tmp / f"{safe}.scenario.json", tmp / f"{safe}.plan.json"
    src.write_text(json.dumps(doc) if is_doc else doc, encoding="utf-8")
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.run(  # noqa: S603
        _manage("plan_scenario", str(src), "--out", str(out), "--time-limit", f"{run.limit:g}"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=run.limit * 4 + 60,
    )
    res.wall = time.perf_counter() - t0
    res.code = proc.returncode
    err = proc.stderr.strip()
    if "Traceback" in proc.stderr:
        res.failures.append("traceback")
        res.detail.append(proc.stderr.strip().splitlines()[-1][:200])
    if res.wall > run.limit + OVERRUN_S:
        res.failures.append("overrun")
    if expect == "error":
        if proc.returncode != 2:
            res.failures.append(f"exit {proc.returncode} (expected 2)")
        elif len(err.splitlines()) != 1:
            res.failures.append("multi-line error")
        if out.exists():
            res.failures.append("wrote a plan")
        res.detail.append(err.splitlines()[-1][:160] if err else "(no message)")
        res.check = "-"
        return res
    if proc.returncode != 0 or not out.exists():
        res.failures.append(f"exit {proc.returncode} (expected 0)")
        if err:
            res.detail.append(err.splitlines()[-1][:200])
        res.check = "-"
        return res
    chk = subprocess.run(  # noqa: S603
        _manage("check_plan", str(src), str(out)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if "Traceback" in chk.stderr:
        res.failures.append("checker traceback")
        res.detail.append(chk.stderr.strip().splitlines()[-1][:200])
    lines = [x for x in chk.stdout.splitlines() if x.startswith("rule ")]
    summary = json.loads(out.read_text(encoding="utf-8")).get("summary", {})
    unkept = set(summary.get("band_unkept_slots", []))
    band = [x for x in lines if x.startswith(("rule 7: slot", "rule 8/7: slot"))]
    other = [x for x in lines if x not in band]
    band_slots = {int(x.split(":")[1].split()[1]) for x in band}
    if chk.returncode == 0:
        res.check = "valid"
        if expect == "unkept":
            res.failures.append("valid where no plan can keep the band?")
    elif chk.returncode == 1 and not other and band_slots and band_slots <= unkept:
        res.check = "unkept"
        if expect == "valid":
            res.failures.append("band broken where idle cars keep it")
    else:
        res.check = f"{len(lines)} violation(s)"
        res.failures.append("invalid plan")
        res.detail.extend(lines[:4])
        if band_slots - unkept:
            res.detail.append(f"band broken in slots not named: {sorted(band_slots - unkept)[:8]}")
    res.detail.append(
        f"status {summary.get('status')}, stage {summary.get('stage')}, "
        f"seconds {summary.get('seconds')}"
    )
    return res


def _row(r: Result) -> str:
    verdict = "ok" if not r.failures else "FAIL " + ", ".join(r.failures)
    return (
        f"{r.name:40} {r.slots:5} {r.vehicles:5} {r.bookings:5} {r.limit:5g} {r.wall:7.2f} "
        f"{r.code:4} {r.expect:7} {r.check:16} {verdict}"
    )


HEADER = (
    f"{'run':40} {'slots':>5} {'cars':>5} {'books':>5} {'limit':>5} {'wall':>7} "
    f"{'exit':>4} {'expect':7} {'check':16} verdict"
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.dispatch.sweep", description=__doc__)
    ap.add_argument("--seeds", type=int, default=3, help="seeds 2..K of every case (default 3)")
    ap.add_argument("--only", nargs="*", default=None, help="runs whose name contains one of these")
    ap.add_argument("--keep", type=Path, default=None, help="keep scenarios and plans here")
    ap.add_argument("--json", type=Path, default=None, help="write every result here")
    ap.add_argument("--list", action="store_true", help="list the runs and stop")
    ns = ap.parse_args(argv)
    chosen = [c for c in runs(ns.seeds) if not ns.only or any(s in c.name for s in ns.only)]
    if ns.list:
        for c in chosen:
            print(c.name, c.limit)
        return 0
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as t:
        tmp = ns.keep or Path(t)
        tmp.mkdir(parents=True, exist_ok=True)
        print(HEADER, flush=True)
        for run in chosen:
            res = run_one(run, tmp)
            results.append(res)
            print(_row(res), flush=True)
            for d in res.detail if res.failures else []:
                print(f"    {d}", flush=True)
    failed = [r for r in results if r.failures]
    kinds: dict[str, int] = {}
    for r in failed:
        for f in r.failures:
            kinds[f] = kinds.get(f, 0) + 1
    worst = max(results, key=lambda r: r.wall - r.limit, default=None)
    print(f"\n{len(results)} runs, {len(failed)} failed: {kinds or 'none'}")
    if worst is not None:
        print(f"worst wall - limit: {worst.wall - worst.limit:+.2f} s ({worst.name})")
    if ns.json:
        ns.json.write_text(
            json.dumps([dataclasses.asdict(r) for r in results], indent=1), encoding="utf-8"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
