"""The scenario documents of the sweep: small cases and their mutations."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from ..cases import CASES, build


def small_case(name: str, seed: int, **kw: Any) -> dict[str, Any]:
    base = CASES[name]
    return build(dataclasses.replace(base, seed=seed, **kw))


def as_array(value: Any, n: int) -> list[float]:
    return list(value) if isinstance(value, list) else [float(value)] * n


def _set_band(doc: dict[str, Any], imp: list[float], exp: list[float]) -> dict[str, Any]:
    doc["site"]["grid_import_limit_kw"] = [round(x, 3) for x in imp]
    doc["site"]["grid_export_limit_kw"] = [round(x, 3) for x in exp]
    return doc


def _hours(doc: dict[str, Any], a: float, z: float) -> list[int]:
    """Slots whose offset from the start lies in [a, z) hours (local clock ignored)."""
    return [t for t in range(doc["slots"]) if a <= t / 4.0 < z]


def mut_dips(doc: dict[str, Any], seed: int) -> dict[str, Any]:
    """A capacity cap at the evening peak down to what the base load needs (cars idle still fit)."""
    n = doc["slots"]
    imp = as_array(doc["site"]["grid_import_limit_kw"], n)
    exp = as_array(doc["site"]["grid_export_limit_kw"], n)
    base, pv = doc["site"]["base_load_kw"], doc["site"]["pv_kw"]
    for t in _hours(doc, 16 + seed % 3, 20 + seed % 3):
        imp[t] = max(0.0, base[t] - pv[t]) + 2.0
    return _set_band(doc, imp, exp)


def mut_forced_export(doc: dict[str, Any], seed: int, share: float) -> dict[str, Any]:
    """A negative import limit at midday: export at least `share` of the PV surplus there."""
    n = doc["slots"]
    imp = as_array(doc["site"]["grid_import_limit_kw"], n)
    exp = as_array(doc["site"]["grid_export_limit_kw"], n)
    base, pv = doc["site"]["base_load_kw"], doc["site"]["pv_kw"]
    for t in _hours(doc, 11 + seed % 2, 14):
        surplus = pv[t] - base[t]
        imp[t] = -max(5.0, share * surplus)
        exp[t] = max(exp[t], -imp[t] + 1.0)  # keep the band non-empty (else a spec error)
    return _set_band(doc, imp, exp)


def mut_forced_import(doc: dict[str, Any], seed: int, kw: float) -> dict[str, Any]:
    """A negative export limit (a floor on import) for two hours at night."""
    n = doc["slots"]
    imp = as_array(doc["site"]["grid_import_limit_kw"], n)
    exp = as_array(doc["site"]["grid_export_limit_kw"], n)
    for t in _hours(doc, 1 + seed % 3, 3 + seed % 3):
        exp[t] = -kw
        imp[t] = max(imp[t], kw + 1.0)
    return _set_band(doc, imp, exp)


def mut_spikes(doc: dict[str, Any], seed: int) -> dict[str, Any]:
    base = doc["site"]["base_load_kw"]
    for k in range(5):
        t = (seed * 37 + k * 53) % len(base)
        base[t] = round(base[t] * 4.0 + 50.0, 3)
    lim = doc["site"]["grid_import_limit_kw"]
    n = doc["slots"]
    imp = as_array(lim, n)
    # keep the all-idle plan inside the band where a spike hits
    for t in range(n):
        imp[t] = max(imp[t], base[t] + 1.0)
    doc["site"]["grid_import_limit_kw"] = imp
    return doc


def mut_pv(doc: dict[str, Any], factor: float) -> dict[str, Any]:
    doc["site"]["pv_kw"] = [round(x * factor, 3) for x in doc["site"]["pv_kw"]]
    return doc


def mut_flex(doc: dict[str, Any], on: bool) -> dict[str, Any]:
    n = doc["slots"]
    if not on:
        doc.pop("flexibility", None)
    else:
        doc["flexibility"] = {
            "up_eur_per_kw": [round(0.002 + 0.004 * ((t * 7) % 5) / 5, 5) for t in range(n)],
            "down_eur_per_kw": [round(0.001 + 0.003 * ((t * 3) % 7) / 7, 5) for t in range(n)],
        }
    return doc


def mut_departures(doc: dict[str, Any]) -> dict[str, Any]:
    """Half the private cars leave after the horizon (rule 6's moved check)."""
    n = doc["slots"]
    priv = [v for v in doc["vehicles"] if v["kind"] == "private"]
    for j, v in enumerate(priv):
        if j % 2 == 0:
            v["departure_slot"] = n + 4 + 40 * (j % 3)
            v["departure_soc_kwh"] = round(v["battery_kwh"] * 0.9, 3)
    return doc


def mut_edges(doc: dict[str, Any]) -> dict[str, Any]:
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


def mut_tight(doc: dict[str, Any]) -> dict[str, Any]:
    """A tight grid all day: import limit just above what the base load needs at its peak."""
    base, pv = doc["site"]["base_load_kw"], doc["site"]["pv_kw"]
    peak = max(b - p for b, p in zip(base, pv, strict=True))
    doc["site"]["grid_import_limit_kw"] = round(max(peak, 0.0) + 15.0, 3)
    return doc


def week_doc(start: date, seed: int, shared: int, private: int, bookings: int) -> dict[str, Any]:
    return small_case(
        "c", seed, day=start, shared=shared, private=private, bookings=bookings, flexibility=True
    )


def coarse(doc: dict[str, Any], k: int) -> dict[str, Any]:
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


def tiny_doc(n: int) -> dict[str, Any]:
    """A horizon of `n` slots cut from the start of s100."""
    doc = small_case("s100", 4, shared=3, private=2, bookings=0, flexibility=True)
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


def long_doc(weeks: int, seed: int) -> dict[str, Any]:
    """`weeks` x 672 slots (4,032 = 6 weeks is the spec's most), a handful of cars."""
    doc = small_case(
        "c", seed, days=7 * weeks, shared=3, private=0, bookings=10 * weeks, flexibility=False
    )
    return doc


def mut_forced_export_all(doc: dict[str, Any], kw: float) -> dict[str, Any]:
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


def mut_import_floor_share(doc: dict[str, Any], a: float, z: float, share: float) -> dict[str, Any]:
    """Import at least base load + `share` of what the plugged cars can draw, hours [a, z)."""
    n = doc["slots"]
    imp = as_array(doc["site"]["grid_import_limit_kw"], n)
    exp = as_array(doc["site"]["grid_export_limit_kw"], n)
    base = doc["site"]["base_load_kw"]
    for t in _hours(doc, a, z):
        floor = base[t] + share * _plugged_kw(doc, t, "max_charge_kw")
        exp[t] = -floor
        imp[t] = max(imp[t], floor + 1.0)
    return _set_band(doc, imp, exp)


def mut_export_floor_share(doc: dict[str, Any], a: float, z: float, share: float) -> dict[str, Any]:
    """Export at least PV - base + `share` of what the plugged cars can feed back, hours [a, z)."""
    n = doc["slots"]
    imp = as_array(doc["site"]["grid_import_limit_kw"], n)
    exp = as_array(doc["site"]["grid_export_limit_kw"], n)
    base, pv = doc["site"]["base_load_kw"], doc["site"]["pv_kw"]
    for t in _hours(doc, a, z):
        floor = pv[t] - base[t] + share * _plugged_kw(doc, t, "max_discharge_kw")
        imp[t] = -floor
        exp[t] = max(exp[t], floor + 1.0)
    return _set_band(doc, imp, exp)
