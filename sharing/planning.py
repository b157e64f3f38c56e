"""Load a hub's cars and bookings into :mod:`sharing.feasibility` and ask it questions.

Only the bookings that can interact with the window in question are loaded: the window grows until
the feasibility module says that on both sides every car has had time to charge full again, so
nothing beyond can matter (see :func:`sharing.feasibility.component_around`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sharing import feasibility as fz
from sharing.models import (
    Booking,
    BookingStatus,
    Hub,
    MaintenanceBlock,
    Vehicle,
    VehicleModel,
    VehicleStatus,
)

logger = logging.getLogger(__name__)

INITIAL_MARGIN = timedelta(days=1)
# A late car is assumed back this long after "now" (it may come any minute, or much later).
LATE_CAR_ASSUMED_DELAY = timedelta(minutes=60)
# The most an unpicked booking may lie in the past before the no-show job closes it.
PAST_OPEN_MARGIN = timedelta(days=2)
TIME_LIMIT_SECONDS = 3.0


def minute(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def wh(kwh: Decimal | float) -> int:
    return int(Decimal(kwh) * 1000)


def wh_per_km(vehicle_model_consumption: Decimal) -> int:
    # Rounded up: the promise must hold with the model's stated (seasonal) consumption.
    milli = vehicle_model_consumption * 1000
    return int(milli.to_integral_value(rounding="ROUND_CEILING"))


_HOLDS_CAR = frozenset({str(BookingStatus.BOUND.value), str(BookingStatus.ACTIVE.value)})


def need_from_row(
    pk: int,
    start: datetime,
    end: datetime,
    promised: int,
    expected: int,
    vehicle_id: int | None,
    status: str,
) -> fz.Need:
    # Plain strings: comparing with the TextChoices members is slow in this hot loop.
    bound = vehicle_id if status in _HOLDS_CAR else None
    return fz.Need(pk, minute(start), minute(end), promised, expected, bound)


@dataclass
class Snapshot:
    """A hub's cars and (some of) its open bookings at ``now``."""

    hub: Hub
    now: datetime
    cars: list[fz.Car]
    exclude: frozenset[int] = frozenset()
    needs: dict[int, fz.Need] = field(default_factory=dict)
    loaded_from: datetime | None = None
    loaded_until: datetime | None = None
    plates: dict[int, str] = field(default_factory=dict)
    loaded: bool = False
    witnesses: dict[tuple[int, ...], fz.Result] = field(default_factory=dict)

    def witness(self, needs: list[fz.Need]) -> fz.Result:
        """A witness for ``needs`` alone, remembered: nearby windows share components."""
        key = tuple(sorted(need.id for need in needs))
        if key not in self.witnesses:
            self.witnesses[key] = fz.witness(
                self.cars, needs, self.buffer, time_limit=TIME_LIMIT_SECONDS
            )
        return self.witnesses[key]

    @property
    def buffer(self) -> int:
        return self.hub.turnaround_buffer_minutes

    def _open_floor(self) -> datetime:
        return self.now - timedelta(hours=self.hub.max_booking_hours) - PAST_OPEN_MARGIN

    def _open_ceiling(self) -> datetime:
        return self.now + timedelta(
            days=self.hub.max_days_ahead + 1, hours=self.hub.max_booking_hours
        )

    def load(self, start: datetime, end: datetime) -> None:
        """Make sure the bookings touching ``[start, end]`` are loaded."""
        lo: datetime | None = start if start > self._open_floor() else None
        hi: datetime | None = end if end < self._open_ceiling() else None
        if self.loaded:
            lo = None if lo is None or self.loaded_from is None else min(lo, self.loaded_from)
            hi = None if hi is None or self.loaded_until is None else max(hi, self.loaded_until)
        query = Booking.objects.filter(
            hub=self.hub, status__in=[BookingStatus.CONFIRMED, BookingStatus.BOUND]
        )
        if lo is not None:
            query = query.filter(block_end__gt=lo)
        if hi is not None:
            query = query.filter(start__lt=hi)
        rows = query.values_list(
            "pk", "start", "end", "promised_range_km", "expected_km", "vehicle_id", "status"
        )
        self.needs = {row[0]: need_from_row(*row) for row in rows if row[0] not in self.exclude}
        self.loaded_from, self.loaded_until, self.loaded = lo, hi, True

    def component(self, start: datetime, end: datetime) -> list[fz.Need]:
        """The bookings that interact with ``[start, end)``."""
        margin = INITIAL_MARGIN
        while True:
            want_from, want_until = start - margin, end + margin
            covered = (
                self.loaded
                and (self.loaded_from is None or self.loaded_from <= want_from)
                and (self.loaded_until is None or self.loaded_until >= want_until)
            )
            if not covered:
                self.load(want_from, want_until)
            found = fz.component_around(
                self.cars,
                list(self.needs.values()),
                self.buffer,
                minute(start),
                minute(end),
                None if self.loaded_from is None else minute(self.loaded_from),
                None if self.loaded_until is None else minute(self.loaded_until),
            )
            if found is not None:
                return found
            if self.loaded_from is None and self.loaded_until is None:  # pragma: no cover
                raise AssertionError("component not closed with everything loaded")
            margin *= 2

    def check_new(
        self,
        start: datetime,
        end: datetime,
        promised_km: int,
        expected_km: int,
        *,
        booking_id: int = fz.NEW_BOOKING_ID,
        bound_car: int | None = None,
        forbidden: Iterable[int] = (),
    ) -> fz.Result:
        needs = [n for n in self.component(start, end) if n.id != booking_id]
        new = fz.Need(
            booking_id,
            minute(start),
            minute(end),
            promised_km,
            min(expected_km, promised_km),
            bound_car,
            frozenset(forbidden),
        )
        result = fz.check_with(
            self.cars,
            needs,
            new,
            self.buffer,
            time_limit=TIME_LIMIT_SECONDS,
            base=self.witness(needs),
        )
        if not result.proven:
            logger.warning("feasibility check timed out for hub %s; refusing", self.hub.slug)
        return result

    def check_all_around(self, start: datetime, end: datetime) -> fz.Result:
        return self.witness(self.component(start, end))

    def max_range(self, start: datetime, end: datetime) -> fz.RangeAnswer:
        needs = self.component(start, end)
        return fz.max_range_km(
            self.cars,
            needs,
            minute(start),
            minute(end),
            self.buffer,
            time_limit=TIME_LIMIT_SECONDS,
            base=self.witness(needs),
        )


def load_cars(
    hub: Hub, now: datetime, *, active_end_override: dict[int, datetime] | None = None
) -> tuple[list[fz.Car], dict[int, str]]:
    """The hub's cars in service, each with when it is free next and how much charge it has."""
    override = active_end_override or {}
    rows = list(
        Vehicle.objects.filter(hub=hub, status=VehicleStatus.ACTIVE)
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
        )
    )
    maintenance: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for vehicle_id, m_start, m_end in MaintenanceBlock.objects.filter(
        vehicle__hub=hub, end__gt=now
    ).values_list("vehicle_id", "start", "end"):
        maintenance[vehicle_id].append((minute(m_start), minute(m_end)))
    active = {
        row[0]: row[1:]
        for row in Booking.objects.filter(hub=hub, status=BookingStatus.ACTIVE).values_list(
            "vehicle_id", "pk", "end", "expected_km", "promised_range_km"
        )
    }
    buffer = hub.buffer
    reserve = Decimal(hub.reserve_soc_percent) / 100
    # Decimal arithmetic per model once, not per car.
    per_model: dict[tuple[object, ...], tuple[int, int, int, int]] = {}
    cars = []
    for pk, _plate, soc_kwh, soc_at, battery, consumption, seasonal, charge_kw, max_km in rows:
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
        soc = capacity if soc_kwh is None else wh(soc_kwh)
        since = soc_at or now
        if pk in active:
            booking_id, end, expected, promised = active[pk]
            end = override.get(booking_id, end)
            # Comes back at its end (or, if late, some time after now) with the expected use less.
            back = end if end > now else now + LATE_CAR_ASSUMED_DELAY
            since = back + buffer
            soc = max(0, soc - min(expected, promised) * per_km)
        cars.append(
            fz.Car(
                id=pk,
                capacity_wh=capacity,
                floor_wh=floor,
                wh_per_km=per_km,
                charge_w=charge_w,
                soc_wh=min(soc, capacity),
                available_from=minute(since),
                maintenance=tuple(sorted(maintenance[pk])),
                max_km=max_km,
            )
        )
    return cars, {row[0]: row[1] for row in rows}


def snapshot(
    hub: Hub,
    now: datetime,
    *,
    exclude: Iterable[int] = (),
    active_end_override: dict[int, datetime] | None = None,
) -> Snapshot:
    cars, plates = load_cars(hub, now, active_end_override=active_end_override)
    return Snapshot(hub=hub, now=now, cars=cars, exclude=frozenset(exclude), plates=plates)


def car_max_range_km(capacity_wh: int, floor_wh: int, per_km: int, model_max_km: int) -> int:
    return min(model_max_km, (capacity_wh - floor_wh) // per_km)


def hub_max_range_km(hub: Hub) -> int:
    """The most range anyone may ask for at this hub: the best model's limit and battery."""
    reserve = Decimal(hub.reserve_soc_percent) / 100
    best = 0
    for model in VehicleModel.objects.filter(
        vehicles__hub=hub, vehicles__status=VehicleStatus.ACTIVE
    ).distinct():
        capacity = wh(model.usable_battery_kwh)
        best = max(
            best,
            car_max_range_km(
                capacity,
                int(capacity * reserve),
                wh_per_km(model.effective_consumption_kwh_per_km),
                model.max_promised_range_km,
            ),
        )
    return best
