"""A hub's cars as the feasibility check sees them, read in one query and cached.

:func:`car_rows` reads every car in service with its upcoming maintenance and its trip under way;
reads that may be a moment behind take them from the cache (shared, with a copy per process)
under a version that every change of the hub's cars bumps (:func:`hub_cars_changed`, and the
``vehicle_changed`` receiver that ``SharingConfig.ready`` connects). :func:`cars_at` turns the rows
into :class:`sharing.feasibility.Car` at a moment: when each car is free next, with what charge.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import FilteredRelation, Q
from django.utils import timezone

from sharing import feasibility as fz
from sharing.models import BookingStatus, Hub, Vehicle, VehicleStatus

# A late car is assumed back this long after "now" (it may come any minute, or much later).
LATE_CAR_ASSUMED_DELAY = timedelta(minutes=60)


def minute(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def wh(kwh: Decimal | float) -> int:
    return int(Decimal(kwh) * 1000)


def wh_per_km(vehicle_model_consumption: Decimal) -> int:
    # Rounded up: the promise must hold with the model's stated (seasonal) consumption.
    milli = vehicle_model_consumption * 1000
    return int(milli.to_integral_value(rounding="ROUND_CEILING"))


# One row per car in service, everything the check needs that does not depend on "now":
# (id, plate, capacity Wh, floor Wh, Wh per km, charge W, model's max km, charge Wh or None,
#  charge measured at or None, maintenance [(start, end)], active booking (id, end, use Wh) or None)
CarRow = tuple[
    int,
    str,
    int,
    int,
    int,
    int,
    int,
    int | None,
    datetime | None,
    tuple[tuple[datetime, datetime], ...],
    tuple[int, datetime, int] | None,
]

# The cached rows of a hub live under a version that every change of its cars bumps (see
# hub_cars_changed). The timeout only bounds a write that announces nothing.
CAR_CACHE_SECONDS = 60
# A counter that expires starts again from the clock, never at a number it had before.
VERSION_SECONDS = 24 * 3600


def _version_key(hub_id: int) -> str:
    return f"sharing:hub:{hub_id}:cars:version"


def _cars_version(hub_id: int) -> int:
    key = _version_key(hub_id)
    version = cache.get(key)
    if version is None:
        # Never restart at a number an older (evicted) counter may have used.
        cache.add(key, time.time_ns(), timeout=VERSION_SECONDS)
        version = cache.get(key, 0)
    return int(version)


def _bump(hub_id: int) -> None:
    try:
        cache.incr(_version_key(hub_id))
    except ValueError:
        cache.add(_version_key(hub_id), time.time_ns(), timeout=VERSION_SECONDS)


def hub_cars_changed(*, hub_id: int) -> None:
    """A car of the hub changed (charge, status, maintenance, picked up or returned).

    Bumped now, so the rest of this transaction reads afresh, and again after commit, so nobody
    keeps what was cached from the old rows while the change was being made.
    """
    _bump(hub_id)
    transaction.on_commit(lambda: _bump(hub_id))


def on_vehicle_changed(sender: object, *, hub_id: int, **kwargs: object) -> None:
    """Every service that changes a car announces it (sent on commit); connected in
    ``SharingConfig.ready``."""
    _bump(hub_id)


def _load_car_rows(hub: Hub, now: datetime) -> list[CarRow]:
    # One read: each car joined to its maintenance still to come and to its trip under way
    # (a car with several of those comes once per combination).
    joined = (
        Vehicle.objects.filter(hub=hub, status=VehicleStatus.ACTIVE)
        .annotate(
            upcoming=FilteredRelation(
                "maintenance_blocks", condition=Q(maintenance_blocks__end__gt=now)
            ),
            trip=FilteredRelation(
                "bookings", condition=Q(bookings__hub=hub, bookings__status=BookingStatus.ACTIVE)
            ),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "plate",
            "last_known_soc_kwh",
            "last_known_soc_at",
            "model__usable_battery_kwh",
            "model__consumption_kwh_per_km",
            "model__seasonal_factor",
            "model__ac_charge_kw",
            "model__max_promised_range_km",
            "upcoming__pk",
            "upcoming__start",
            "upcoming__end",
            "trip__pk",
            "trip__end",
            "trip__expected_km",
            "trip__promised_range_km",
        )
    )
    rows: dict[int, tuple[Any, ...]] = {}
    maintenance: dict[int, dict[int, tuple[datetime, datetime]]] = defaultdict(dict)
    active: dict[int, tuple[int, datetime, int, int]] = {}
    for row in joined:
        pk: int = row[0]
        m_pk, m_start, m_end, t_pk, t_end, t_expected, t_promised = row[9:]
        rows.setdefault(pk, row[:9])
        if m_pk is not None:
            maintenance[pk][m_pk] = (m_start, m_end)
        # Two trips at once cannot happen; if the data says so, the one ending last counts.
        if t_pk is not None and (pk not in active or t_end > active[pk][1]):
            active[pk] = (t_pk, t_end, t_expected, t_promised)
    reserve = Decimal(hub.reserve_soc_percent) / 100
    # Decimal arithmetic per model once, not per car.
    per_model: dict[tuple[object, ...], tuple[int, int, int, int]] = {}
    result: list[CarRow] = []
    for car in rows.values():
        pk, plate, soc_kwh, soc_at, battery, consumption, seasonal, charge_kw, max_km = car
        key = (battery, consumption, seasonal, charge_kw)
        if key not in per_model:
            capacity = wh(battery)
            per_model[key] = (
                capacity,
                int(capacity * reserve),
                wh_per_km(consumption * seasonal),
                wh(charge_kw),
            )
        capacity, floor, per_km, charge_w = per_model[key]
        trip = None
        if pk in active:
            booking_id, end, expected, promised = active[pk]
            trip = (booking_id, end, min(expected, promised) * per_km)
        result.append(
            (
                pk,
                plate,
                capacity,
                floor,
                per_km,
                charge_w,
                max_km,
                None if soc_kwh is None else wh(soc_kwh),
                soc_at,
                tuple(sorted(maintenance[pk].values())),
                trip,
            )
        )
    return result


def car_rows(hub: Hub, now: datetime, *, cached: bool = False) -> list[CarRow]:
    """The hub's cars in service; ``cached`` reads them from the cache when nothing changed.

    Writes load afresh (under the hub lock): only reads that may be a moment behind use the cache.
    """
    if not cached:
        return _load_car_rows(hub, now)
    # Read the version first: rows loaded after it are at least as new as it says.
    key = f"sharing:hub:{hub.pk}:car-rows:{_cars_version(hub.pk)}"
    entry = _local_rows.get(key)
    if entry is None or entry[0] + CAR_CACHE_SECONDS <= time.time():
        entry = cache.get(key)
        if entry is None:
            entry = (time.time(), _load_car_rows(hub, now))
            cache.set(key, entry, timeout=CAR_CACHE_SECONDS)
        _remember(key, entry)
    return entry[1]


# This process's copy of the shared entries, under the same keys (so the same versions) and
# until the shared entry expires: a hit saves fetching and unpickling every car row.
_local_rows: dict[str, tuple[float, list[CarRow]]] = {}
LOCAL_ROWS_KEPT = 64


def _remember(key: str, entry: tuple[float, list[CarRow]]) -> None:
    if len(_local_rows) >= LOCAL_ROWS_KEPT:
        _local_rows.clear()  # old versions, mostly: the live ones come back on the next read
    _local_rows[key] = entry


def cars_at(
    rows: list[CarRow],
    hub: Hub,
    now: datetime,
    *,
    active_end_override: dict[int, datetime] | None = None,
) -> list[fz.Car]:
    """The cars as the check sees them at ``now``: when each is free next, with what charge."""
    override = active_end_override or {}
    buffer = hub.buffer
    now_minute = minute(now)
    cars = []
    for pk, _plate, capacity, floor, per_km, charge_w, max_km, soc, soc_at, blocks, trip in rows:
        soc = capacity if soc is None else soc
        available_from = now_minute if soc_at is None else minute(soc_at)
        if trip is not None:
            booking_id, end, use = trip
            end = override.get(booking_id, end)
            # Comes back at its end (or, if late, some time after now) with the expected use
            # less. Its block ends a buffer later and the next block starts a buffer before
            # the next booking: 2 x buffer, as between two bookings.
            back = end if end > now else now + LATE_CAR_ASSUMED_DELAY
            available_from = minute(back + 2 * buffer)
            soc = max(0, soc - use)
        cars.append(
            fz.Car(
                id=pk,
                capacity_wh=capacity,
                floor_wh=floor,
                wh_per_km=per_km,
                charge_w=charge_w,
                soc_wh=min(soc, capacity),
                available_from=available_from,
                maintenance=tuple(
                    (minute(m_start), minute(m_end)) for m_start, m_end in blocks if m_end > now
                ),
                max_km=max_km,
            )
        )
    return cars


def load_cars(
    hub: Hub,
    now: datetime,
    *,
    active_end_override: dict[int, datetime] | None = None,
    cached: bool = False,
) -> tuple[list[fz.Car], dict[int, str]]:
    """The hub's cars in service, each with when it is free next and how much charge it has."""
    rows = car_rows(hub, now, cached=cached)
    cars = cars_at(rows, hub, now, active_end_override=active_end_override)
    return cars, {row[0]: row[1] for row in rows}


def car_max_range_km(capacity_wh: int, floor_wh: int, per_km: int, model_max_km: int) -> int:
    return min(model_max_km, (capacity_wh - floor_wh) // per_km)


def hub_max_range_km(hub: Hub) -> int:
    """The most range anyone may ask for at this hub: the best model's limit and battery."""
    rows = car_rows(hub, timezone.now(), cached=True)
    return max(
        (
            car_max_range_km(capacity, floor, per_km, max_km)
            for _, _, capacity, floor, per_km, _, max_km, *_ in rows
        ),
        default=0,
    )
