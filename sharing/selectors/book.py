"""What the Book page and the availability API read: is a car free, with how much range?

``availability`` answers for one window (with nearby windows when it is not free), with the
same check ``booking_create`` applies; ``default_window`` is where the Book form starts (the
resident's usual window, or the next hour); ``day_strip`` is the free hours of the checked day.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from statistics import median

from django.utils import timezone

from accounts.models import User
from sharing.models import Booking, BookingStatus, Hub
from sharing.rules import (
    fair_use_errors,
    merge,
    price_estimate,
    raise_if,
    range_errors,
    resident_errors,
    window_errors,
)
from sharing.snapshot import INITIAL_MARGIN, snapshot

SEARCH_AROUND = timedelta(hours=3)
SEARCH_STEP = timedelta(minutes=15)
MAX_SUGGESTIONS = 5


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    max_range_km: int
    price_estimate: Decimal


@dataclass(frozen=True)
class Availability:
    hub: Hub
    start: datetime
    end: datetime
    range_km: int | None
    available: bool
    max_range_km: int | None
    price_estimate: Decimal | None
    suggestions: list[Window]


def availability(
    *,
    hub: Hub,
    start: datetime,
    end: datetime,
    range_km: int | None = None,
    now: datetime | None = None,
    resident: User | None = None,
) -> Availability:
    """ "Available, up to N km" or "not available; these nearby windows are ...".

    Uses the same check as ``booking_create``: booking ``N`` km in the window succeeds, more fails.
    With a ``resident`` it also applies the rules about who books (confirmed address, licence,
    the household's fair use), so "available" is never followed by a refusal of the booking;
    a broken rule is a ``ValidationError`` naming it, as ``booking_create`` would raise.
    """
    now = now or timezone.now()
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    errors = window_errors(hub=hub, start=start, end=end, now=now)
    if range_km is not None:
        errors = merge(
            errors, range_errors(hub=hub, promised_range_km=range_km, expected_km=range_km)
        )
    if resident is not None:
        who = resident_errors(resident=resident, now=now)
        if not who and resident.household_id is not None and end > start:
            who = fair_use_errors(
                hub=hub, household_id=resident.household_id, start=start, end=end, now=now
            )
        errors = merge(errors, who)
    raise_if(errors)
    # The cars may come from the cache (bumped by every change of a car); the bookings are read
    # afresh, so the answer is what booking_create would decide with the same rows.
    state = snapshot(hub, now, cached=True)
    wanted = range_km or 0

    def price(s: datetime, e: datetime) -> Decimal:
        return price_estimate(hub=hub, start=s, end=e, expected_km=wanted)

    answer = state.max_range(start, end)
    available = answer.km is not None and answer.km >= wanted
    suggestions: list[Window] = []
    if not available:
        # One read for every window tried below, not one per window.
        state.load(start - SEARCH_AROUND - INITIAL_MARGIN, end + SEARCH_AROUND + INITIAL_MARGIN)
        length = end - start
        for step in range(1, int(SEARCH_AROUND / SEARCH_STEP) + 1):
            for sign in (-1, 1):
                s = start + sign * step * SEARCH_STEP
                if window_errors(hub=hub, start=s, end=s + length, now=now):
                    continue
                other = state.max_range(s, s + length)
                if other.km is not None and other.km >= wanted:
                    suggestions.append(Window(s, s + length, other.km, price(s, s + length)))
            if len(suggestions) >= MAX_SUGGESTIONS:
                break
    return Availability(
        hub=hub,
        start=start,
        end=end,
        range_km=range_km,
        available=available,
        max_range_km=answer.km,
        price_estimate=price(start, end) if available else None,
        suggestions=suggestions[:MAX_SUGGESTIONS],
    )


# --- The Book page's starting point and its day strip ------------------------------------------

USUAL_FROM = 4  # bookings of one's own it takes to have a "usual" time
DEFAULT_LENGTH = timedelta(hours=2)
DEFAULT_RANGE_KM = 50
DAY_FROM_HOUR, DAY_UNTIL_HOUR = 7, 22  # the strip's first and last start hour
EARLIEST_DEFAULT = timedelta(minutes=30)  # time to walk to the hub


@dataclass(frozen=True)
class DefaultWindow:
    start: datetime
    end: datetime
    range_km: int
    usual: bool  # the resident's usual time, rather than simply the next hour


def _next_at(hub: Hub, now: datetime, hour: int, minute: int) -> datetime:
    """The first local ``hour:minute`` at least ``EARLIEST_DEFAULT`` from now."""
    local = now.astimezone(hub.tz)
    day = local.date()
    for _ in range(3):
        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=hub.tz)
        if candidate >= now + EARLIEST_DEFAULT:
            return candidate
        day += timedelta(days=1)
    raise AssertionError("unreachable: a day later is always later")  # pragma: no cover


def default_window(*, resident: User, hub: Hub, now: datetime | None = None) -> DefaultWindow:
    """Where the Book form starts: the resident's usual window (the start time of day they
    book most, their typical length and range) when they have booked a few times; otherwise
    the next full hour, for two hours, with 50 km."""
    now = now or timezone.now()
    recent = list(
        Booking.objects.filter(resident=resident, hub=hub)
        .exclude(status=BookingStatus.CANCELLED)
        .order_by("-start")
        .values_list("start", "end", "promised_range_km")[:20]
    )
    if len(recent) >= USUAL_FROM:
        starts = Counter(
            (s.astimezone(hub.tz).hour, s.astimezone(hub.tz).minute) for s, _, _ in recent
        )
        hour, minute = starts.most_common(1)[0][0]
        length = timedelta(seconds=median((e - s).total_seconds() for s, e, _ in recent))
        length = max(timedelta(minutes=hub.min_booking_minutes), _round_to_slot(hub, length))
        range_km = int(median(km for _, _, km in recent))
        start = _next_at(hub, now, hour, minute)
        return DefaultWindow(start, start + length, range_km, usual=True)
    local = now.astimezone(hub.tz) + EARLIEST_DEFAULT
    hour = local.hour + 1
    if hour < DAY_FROM_HOUR or hour > DAY_UNTIL_HOUR - 2:
        start = _next_at(hub, now, 9, 0)
    else:
        start = _next_at(hub, now, hour, 0)
    return DefaultWindow(start, start + DEFAULT_LENGTH, DEFAULT_RANGE_KM, usual=False)


def _round_to_slot(hub: Hub, length: timedelta) -> timedelta:
    slot = timedelta(minutes=hub.slot_minutes)
    return max(slot, round(length / slot) * slot)


@dataclass(frozen=True)
class StripCell:
    start: datetime
    end: datetime
    max_range_km: int | None
    free: bool
    bookable: bool  # inside the hub's rules (not past, not too far ahead)


@dataclass(frozen=True)
class DayStrip:
    day: date
    length: timedelta
    range_km: int
    cells: list[StripCell]

    @property
    def previous_day(self) -> date:
        return self.day - timedelta(days=1)

    @property
    def next_day(self) -> date:
        return self.day + timedelta(days=1)


def day_strip(
    *,
    hub: Hub,
    day: date,
    length: timedelta,
    range_km: int,
    now: datetime | None = None,
) -> DayStrip:
    """For each full hour of ``day`` (07:00-22:00 local): is a car with ``range_km`` free for
    ``length`` from then? The same check as :func:`availability`, one read for the whole day."""
    now = now or timezone.now()
    first = datetime(day.year, day.month, day.day, DAY_FROM_HOUR, tzinfo=hub.tz)
    starts = [
        datetime(day.year, day.month, day.day, hour, tzinfo=hub.tz).astimezone(UTC)
        for hour in range(DAY_FROM_HOUR, DAY_UNTIL_HOUR + 1)
    ]
    state = snapshot(hub, now, cached=True)
    state.load(first - INITIAL_MARGIN, starts[-1] + length + INITIAL_MARGIN)
    cells = []
    for start in starts:
        end = start + length
        if window_errors(hub=hub, start=start, end=end, now=now):
            cells.append(StripCell(start, end, None, free=False, bookable=False))
            continue
        km = state.max_range(start, end).km
        cells.append(
            StripCell(start, end, km, free=km is not None and km >= range_km, bookable=True)
        )
    return DayStrip(day=day, length=length, range_km=range_km, cells=cells)
