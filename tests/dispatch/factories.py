"""Small scenario documents built in code: named, readable fixtures for the dispatcher tests."""

from __future__ import annotations

import math
from typing import Any


def vehicle(vid: str, **kw: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": vid,
        "kind": "shared",
        "battery_kwh": 50.0,
        "initial_soc_kwh": 25.0,
        "min_soc_kwh": 5.0,
        "max_charge_kw": 11.0,
        "max_discharge_kw": 0.0,
        "charge_efficiency": 0.92,
        "discharge_efficiency": 0.92,
        "consumption_kwh_per_km": 0.18,
    }
    doc.update(kw)
    return doc


def private(vid: str, departure_slot: int, departure_soc_kwh: float, **kw: Any) -> dict[str, Any]:
    doc = vehicle(
        vid, kind="private", departure_slot=departure_slot, departure_soc_kwh=departure_soc_kwh
    )
    doc.update(kw)
    return doc


def booking(bid: str, start: int, end: int, km: float, **kw: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": bid,
        "start_slot": start,
        "end_slot": end,
        "promised_range_km": km,
        "vehicle": None,
    }
    doc.update(kw)
    return doc


def price_curve(n: int, mean: float = 0.10, swing: float = 0.06, shift: float = 0.0) -> list[float]:
    """A day-shaped price: cheap at night and midday, dear in the evening."""
    return [
        round(mean + swing * math.sin(2 * math.pi * (t / 96.0) * 2 + shift), 5) for t in range(n)
    ]


def scenario(
    n: int = 96,
    vehicles: list[dict[str, Any]] | None = None,
    bookings: list[dict[str, Any]] | None = None,
    **kw: Any,
) -> dict[str, Any]:
    prices = price_curve(n)
    doc: dict[str, Any] = {
        "format": "v2g-hub-scenario/1",
        "name": "test",
        "timezone": "Europe/Amsterdam",
        "start": "2025-06-02T00:00:00+02:00",
        "slot_minutes": 15,
        "slots": n,
        "site": {
            "grid_import_limit_kw": 250.0,
            "grid_export_limit_kw": 250.0,
            "base_load_kw": [40.0] * n,
            "pv_kw": [
                max(0.0, 120 * math.sin(math.pi * (t % 96 - 28) / 48)) if 28 <= t % 96 < 76 else 0.0
                for t in range(n)
            ],
        },
        "prices": {"import_eur_per_kwh": prices, "export_eur_per_kwh": list(prices)},
        "degradation_eur_per_kwh": 0.03,
        "vehicles": vehicles if vehicles is not None else [vehicle("car-1"), vehicle("car-2")],
        "bookings": bookings if bookings is not None else [booking("b-1", 32, 48, 100.0)],
    }
    doc.update(kw)
    return doc
