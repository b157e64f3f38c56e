"""A hub's bookings at a moment, loaded into :mod:`sharing.feasibility` and asked questions.

:func:`snapshot` takes the hub's cars (from :mod:`sharing.car_cache`) and loads only the bookings
that can interact with the window in question: the window grows until the feasibility package says
that on both sides every car has had time to charge full again, so nothing beyond can matter (see
:func:`sharing.feasibility.component_around`). The services ask it whether a new booking fits
(:meth:`Snapshot.check_new`) or one already made still does (:meth:`Snapshot.check_booking`), the
selectors how much range is left (:meth:`Snapshot.max_range`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import BigIntegerField, Func

from sharing import feasibility as fz
from sharing.car_cache import load_cars, minute
from sharing.models import Booking, BookingStatus, Hub

logger = logging.getLogger(__name__)

INITIAL_MARGIN = timedelta(days=1)
# The most an unpicked booking may lie in the past before the no-show job closes it.
PAST_OPEN_MARGIN = timedelta(days=2)
TIME_LIMIT_SECONDS = 3.0


class EpochMinute(Func):
    """:func:`minute` in SQL: whole integers come out of the database far cheaper than times."""

    output_field = BigIntegerField()
    template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s) / 60)::bigint"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Four percent signs: one pair for this template, one for the backend's placeholders.
        template = "(CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) / 60)"
        return self.as_sql(compiler, connection, template=template, **extra)


HOLDS_CAR = frozenset({str(BookingStatus.BOUND.value), str(BookingStatus.ACTIVE.value)})


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
            "pk",
            EpochMinute("start"),
            EpochMinute("end"),
            "promised_range_km",
            "expected_km",
            "vehicle_id",
            "status",
        )
        exclude, holds_car, need = self.exclude, HOLDS_CAR, fz.Need
        self.needs = {
            pk: need(pk, start, end, promised, expected, car if status in holds_car else None)
            for pk, start, end, promised, expected, car, status in rows
            if pk not in exclude
        }
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
        hint: dict[int, int] | None = None,
    ) -> fz.Result:
        """Whether a booking ``[start, end)`` can be added; exact.

        ``hint``: an assignment found a moment ago (outside the lock, on cached cars). If it
        still serves every booking of the component as read now, and the new one, it is a proof
        and nothing is searched; otherwise the check runs as if there were no hint.
        """
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
        if hint:
            began = time.perf_counter()
            everything = [*needs, new]
            if all(need.id in hint for need in everything) and fz.verify(
                self.cars, everything, self.buffer, hint
            ):
                assignment = {need.id: hint[need.id] for need in everything}
                return fz.Result(True, assignment, "hint", seconds=time.perf_counter() - began)
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

    def check_booking(
        self,
        booking: Booking,
        *,
        end: datetime | None = None,
        bound_car: int | None = None,
        forbidden: Iterable[int] = (),
    ) -> fz.Result:
        """Whether an existing ``booking`` fits: :meth:`check_new` with its window, range and id.

        ``end`` replaces its own end (an extension), ``bound_car`` ties it to a car, ``forbidden``
        keeps it off some. Take the snapshot with ``exclude=[booking.pk]`` for the hub as it would
        be without this booking's row.
        """
        return self.check_new(
            booking.start,
            booking.end if end is None else end,
            booking.promised_range_km,
            booking.expected_km,
            booking_id=booking.pk,
            bound_car=bound_car,
            forbidden=forbidden,
        )

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


def snapshot(
    hub: Hub,
    now: datetime,
    *,
    exclude: Iterable[int] = (),
    active_end_override: dict[int, datetime] | None = None,
    cached: bool = False,
) -> Snapshot:
    """``cached``: cars from the cache (for reads); bookings are always read afresh."""
    cars, plates = load_cars(hub, now, active_end_override=active_end_override, cached=cached)
    return Snapshot(hub=hub, now=now, cars=cars, exclude=frozenset(exclude), plates=plates)
