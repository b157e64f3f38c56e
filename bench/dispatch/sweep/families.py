"""The sweep's runs, family by family (cases by seed, odd documents, stress, edges, broken)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from .mutations import (
    as_array,
    coarse,
    long_doc,
    mut_departures,
    mut_dips,
    mut_edges,
    mut_export_floor_share,
    mut_flex,
    mut_forced_export,
    mut_forced_export_all,
    mut_forced_import,
    mut_import_floor_share,
    mut_pv,
    mut_spikes,
    mut_tight,
    small_case,
    tiny_doc,
    week_doc,
)
from .records import Run


def runs(seeds: int) -> Iterator[Run]:
    """Every run of the sweep, in a fixed order."""
    for seed in range(2, seeds + 1):
        lim = (1.0, 3.0, 5.0, 10.0)[seed % 4]
        # the small cases as they are, with a new seed
        for name in ("s92", "s100", "cap", "d2"):
            yield Run(f"{name}/seed{seed}", small_case(name, seed), CASES_LIMIT.get(name, 10.0))
        yield Run(f"af/seed{seed}", small_case("af", seed), 5.0)
        yield Run(f"s92/seed{seed}/t{lim:g}", small_case("s92", seed), lim)
        # band mutations on the clock-change days and the two-day case
        yield Run(f"s100/seed{seed}/dips", mut_dips(small_case("s100", seed), seed), 5.0)
        yield Run(
            f"s92/seed{seed}/forced-export",
            mut_forced_export(small_case("s92", seed), seed, 0.5),
            5.0,
        )
        yield Run(
            f"d2/seed{seed}/forced-import",
            mut_forced_import(small_case("d2", seed), seed, 60.0),
            8.0,
        )
        yield Run(
            f"cap/seed{seed}/forced-import-huge",
            mut_forced_import(small_case("cap", seed), seed, 5000.0),
            5.0,
        )
        yield Run(
            f"s100/seed{seed}/forced-export-huge",
            mut_forced_export(small_case("s100", seed), seed, 40.0),
            5.0,
        )
        yield Run(f"cap/seed{seed}/flex-off", mut_flex(small_case("cap", seed), False), 5.0)
        yield Run(f"s100/seed{seed}/flex-on", mut_flex(small_case("s100", seed), True), 5.0)
        yield Run(f"d2/seed{seed}/spikes", mut_spikes(small_case("d2", seed), seed), 8.0)
        yield Run(f"s92/seed{seed}/pv0", mut_pv(small_case("s92", seed), 0.0), 3.0)
        yield Run(f"s100/seed{seed}/pv-huge", mut_pv(small_case("s100", seed), 20.0), 3.0)
        yield Run(f"cap/seed{seed}/departures", mut_departures(small_case("cap", seed)), 5.0)
        yield Run(f"s92/seed{seed}/edges", mut_edges(small_case("s92", seed)), 3.0)
        yield Run(
            f"s100/seed{seed}/edges-flex-tight",
            mut_flex(mut_edges(mut_tight(small_case("s100", seed))), True),
            5.0,
        )
    # horizons and fleets at the edges
    yield Run("empty/none", small_case("s92", 2, shared=0, private=0, bookings=0), 1.0)
    yield Run("empty/no-vehicles", small_case("s100", 2, shared=0, private=0, bookings=10), 1.0)
    yield Run("empty/no-bookings", small_case("d2", 2, bookings=0), 3.0)
    yield Run("empty/private-only", small_case("s100", 3, shared=0, bookings=0), 2.0)
    yield Run("empty/shared-only-flex", small_case("s92", 3, private=0), 2.0)
    yield Run("week/2019-05-27", week_doc(date(2019, 5, 27), 2, 5, 12, 30), 10.0)
    yield Run("week/2019-05-27/t3", week_doc(date(2019, 5, 27), 3, 4, 8, 20), 3.0)
    yield Run(
        "week/2019-05-27/forced-import",
        mut_forced_import(week_doc(date(2019, 5, 27), 4, 5, 10, 25), 4, 20.0),
        10.0,
    )
    yield Run("week/2019-05-27/no-bookings", week_doc(date(2019, 5, 27), 5, 3, 10, 0), 5.0)
    yield Run("week/2019-05-27/t30", week_doc(date(2019, 5, 27), 6, 20, 40, 80), 30.0)
    yield Run(
        "week/2019-05-27/departures-edges",
        mut_edges(mut_departures(week_doc(date(2019, 5, 27), 7, 4, 8, 15))),
        8.0,
    )
    yield Run("a/seed5", small_case("a", 5), 5.0)
    yield Run("a/seed6/t2", small_case("a", 6), 2.0)
    yield Run("af/seed7/t1", small_case("af", 7), 1.0)
    yield Run("m/seed5/t20", small_case("m", 5), 20.0)
    yield from _odd()
    yield from _stress()
    yield from _edges()
    yield from _broken()


def _odd() -> Iterator[Run]:
    """Documents legal under the spec that the benchmark never makes."""
    yield Run("odd/hourly-s100", coarse(small_case("s100", 5), 4), 3.0)
    yield Run("odd/half-hourly-cap", coarse(small_case("cap", 5), 2), 3.0)
    yield Run(
        "odd/hourly-forced-import", mut_forced_import(coarse(small_case("d2", 6), 4), 6, 40.0), 3.0
    )
    yield Run("odd/1-slot", tiny_doc(1), 1.0)
    yield Run("odd/2-slots", tiny_doc(2), 1.0)
    yield Run("odd/5-slots-forced-export", mut_forced_export_all(tiny_doc(5), 3.0), 1.0)
    yield Run("odd/4032-slots", long_doc(6, 2), 10.0)
    yield Run("odd/2016-slots-t3", long_doc(3, 3), 3.0)
    d = small_case("s92", 6)
    d["min_turnaround_slots"] = 0
    d["prices"]["import_eur_per_kwh"] = [-abs(x) - 0.01 for x in d["prices"]["import_eur_per_kwh"]]
    d["prices"]["export_eur_per_kwh"] = [-abs(x) - 0.02 for x in d["prices"]["export_eur_per_kwh"]]
    yield Run("odd/negative-prices-turnaround0", d, 3.0)
    d = small_case("s100", 6)
    d["min_turnaround_slots"] = 30
    d["unserved_penalty_eur"] = 0.0
    d["shortfall_penalty_eur_per_kwh"] = 0.0
    d["terminal_value_eur_per_kwh"] = 0.5
    yield Run("odd/turnaround30-free-penalties", d, 3.0)
    d = small_case("cap", 7)
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
    d = mut_flex(small_case("s92", 7, private_v2g=1.0), True)
    yield Run("odd/all-v2g-forced-export-flex", mut_forced_export(d, 7, 1.5), 5.0)
    d = small_case("d2", 7)
    shared = [v["id"] for v in d["vehicles"] if v["kind"] == "shared"]
    # bind every other booking to a car, round robin, where it does not clash
    last: dict[str, int] = {}
    for j, b in enumerate(sorted(d["bookings"], key=lambda b: b["start_slot"])):
        vid = shared[j % len(shared)]
        if j % 2 == 0 and b["start_slot"] >= last.get(vid, -10) + 2:
            b["vehicle"] = vid
            last[vid] = b["end_slot"]
    yield Run("odd/half-bound", d, 5.0)


def _stress() -> Iterator[Run]:
    """Bigger documents with short limits, and bands only the cars can keep."""
    yield Run("stress/m-t3", small_case("m", 6), 3.0)
    yield Run("stress/b-t10", small_case("b", 6), 10.0)
    yield Run("stress/c-t5", small_case("c", 2), 5.0)
    yield Run("stress/c-t1", small_case("c", 3), 1.0)
    yield Run(
        "stress/week-150cars-t10",
        small_case("c", 4, shared=60, private=90, bookings=300, private_v2g=0.5),
        10.0,
    )
    yield Run(
        "stress/4032-slots-40cars-t10",
        small_case("c", 5, days=42, shared=20, private=0, bookings=200, flexibility=True),
        10.0,
    )
    yield Run(
        "stress/a-import-floor-0.6-night",
        mut_import_floor_share(small_case("a", 7), 2.0, 4.0, 0.6),
        5.0,
    )
    yield Run(
        "stress/af-import-floor-0.95-evening",
        mut_import_floor_share(small_case("af", 8), 18.0, 19.0, 0.95),
        5.0,
    )
    yield Run(
        "stress/s92-export-floor-0.5-v2g",
        mut_export_floor_share(small_case("s92", 8, private_v2g=0.5), 19.0, 20.0, 0.5),
        5.0,
    )
    yield Run(
        "stress/d2-export-floor-0.9-night",
        mut_export_floor_share(small_case("d2", 8), 26.0, 28.0, 0.9),
        8.0,
    )
    yield Run(
        "stress/week-import-floor-0.5",
        mut_import_floor_share(
            small_case("c", 6, shared=6, private=20, bookings=30), 50.0, 53.0, 0.5
        ),
        8.0,
    )
    yield Run(
        "stress/s100-floor-first-slot",
        mut_import_floor_share(small_case("s100", 9), 0.0, 0.5, 0.5),
        3.0,
    )
    yield Run(
        "stress/s100-export-floor-last-slot",
        mut_export_floor_share(small_case("s100", 9, private_v2g=1.0), 24.75, 26.0, 0.5),
        3.0,
    )


def _edges() -> Iterator[Run]:
    """Single fields at the edge of what the spec allows."""
    d = small_case("d2", 9, flexibility=True)
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
    d = small_case("s100", 9)
    n = d["slots"]
    for v in d["vehicles"][:6]:
        v["unavailable"] = [[10, 30], [20, 40], [n - 1, n]]
    d["bookings"] = [b for b in d["bookings"] if b.get("vehicle") is None]
    yield Run("edge/overlapping-maintenance", d, 3.0)
    d = small_case("s92", 9)
    for b in d["bookings"][:10]:
        b["expected_km"] = b["promised_range_km"] * 6  # a return below the floor if served
    yield Run("edge/trips-drain-the-battery", d, 3.0)
    d = small_case("cap", 9)
    for v in d["vehicles"]:
        v["initial_soc_kwh"] = v["min_soc_kwh"] if v["kind"] == "shared" else v["battery_kwh"]
    yield Run("edge/shared-empty-private-full", d, 3.0)


CASES_LIMIT = {"s92": 10.0, "s100": 10.0, "cap": 10.0, "d2": 10.0}


def _broken() -> Iterator[Run]:
    """Documents that break the spec: exit 2, one line, nothing written."""
    ok = small_case("s92", 2, shared=3, private=2, bookings=4)
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
    imp, exp = as_array(site["grid_import_limit_kw"], n), as_array(site["grid_export_limit_kw"], n)
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
