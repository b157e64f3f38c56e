"""Booking rules and the price estimate: each rule gives a message for the field it is about.

Read-only: nothing here writes. The services (``sharing.services``) raise what these rules find
before they write, and the forms and the API show the same messages per field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from sharing.car_cache import hub_max_range_km
from sharing.models import OPEN_STATUSES, Booking, BookingStatus, FairUseOverride, Hub

CENT = Decimal("0.01")


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Real time between two moments. Python subtracts wall-clock times when both share a
    tzinfo, which is wrong across a clock change, so compare in UTC."""
    return end.astimezone(UTC) - start.astimezone(UTC)


DAY = timedelta(hours=24)


def price_estimate(*, hub: Hub, start: datetime, end: datetime, expected_km: int) -> Decimal:
    """Hourly rate, capped at the day rate for each 24 h block, plus a rate per expected km.

    Durations are real elapsed time, so a night across a clock change costs 1 h less or more.
    """
    duration = elapsed(start, end)
    full_days, rest = divmod(duration, DAY)
    hours = Decimal(int(rest.total_seconds())) / 3600
    time_cost = full_days * hub.day_rate + min(hub.day_rate, hours * hub.hourly_rate)
    total = time_cost + hub.per_km_rate * expected_km
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def cancel_fee(*, hub: Hub, start: datetime, now: datetime) -> Decimal:
    """Free until ``free_cancel_hours_before`` the start (inclusive), the late fee after."""
    if now <= start - timedelta(hours=hub.free_cancel_hours_before):
        return Decimal("0.00")
    return hub.late_cancel_fee


def on_grid(hub: Hub, moment: datetime) -> bool:
    local = moment.astimezone(hub.tz)
    return local.second == 0 and local.microsecond == 0 and local.minute % hub.slot_minutes == 0


def window_errors(
    *, hub: Hub, start: datetime, end: datetime, now: datetime, existing: bool = False
) -> dict[str, list[str]]:
    """Errors about a booking window; ``existing`` relaxes "in the past" for a changed booking."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    slot = hub.slot_minutes
    if not on_grid(hub, start):
        add(
            "start",
            _("Start must be on a %(slot)s-minute step (e.g. 10:00, 10:15).") % {"slot": slot},
        )
    if not on_grid(hub, end):
        add("end", _("End must be on a %(slot)s-minute step (e.g. 10:00, 10:15).") % {"slot": slot})
    if end <= start:
        add("end", _("End must be after the start."))
        return errors
    if not existing and start < hub.floor_to_slot(now):
        add("start", _("Start is in the past."))
    if existing and end <= now:
        add("end", _("The new end is in the past."))
    latest = now + timedelta(days=hub.max_days_ahead)
    if not existing and start > latest:
        add(
            "start",
            _("You can book at most %(days)s days ahead.") % {"days": hub.max_days_ahead},
        )
    duration = elapsed(start, end)
    if duration < timedelta(minutes=hub.min_booking_minutes):
        add(
            "end",
            _("A booking lasts at least %(minutes)s minutes.")
            % {"minutes": hub.min_booking_minutes},
        )
    if duration > timedelta(hours=hub.max_booking_hours):
        add(
            "end",
            _("A booking lasts at most %(hours)s hours.") % {"hours": hub.max_booking_hours},
        )
    return errors


def range_errors(*, hub: Hub, promised_range_km: int, expected_km: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    limit = hub_max_range_km(hub)
    if promised_range_km < 0:
        errors["promised_range_km"] = [_("Range cannot be negative.")]
    elif promised_range_km > limit:
        errors["promised_range_km"] = [
            _("At this hub you can ask for at most %(km)s km.") % {"km": limit}
        ]
    if expected_km < 0 or expected_km > promised_range_km:
        errors["expected_km"] = [
            _("Expected distance must be between 0 and the range you ask for.")
        ]
    return errors


def resident_errors(*, resident: User, now: datetime) -> dict[str, list[str]]:
    if resident.household_id is None:
        return {"resident": [_("Only residents of a household can book.")]}
    if not resident.email_confirmed_at:
        return {"resident": [_("Please confirm your e-mail address before booking.")]}
    if not resident.licence_valid_on(timezone.localdate(now)):
        return {
            "resident": [
                _(
                    "Your driving licence is not approved or has expired. Upload a valid licence "
                    "in your profile; a fleet admin will review it."
                )
            ]
        }
    if not resident.is_active:
        return {"resident": [_("Your account may not book at the moment.")]}
    return {}


def _week_bounds(hub: Hub, moment: datetime) -> tuple[datetime, datetime]:
    local = moment.astimezone(hub.tz)
    monday = (local - timedelta(days=local.weekday())).date()
    start = datetime(monday.year, monday.month, monday.day, tzinfo=hub.tz)
    after = monday + timedelta(days=7)
    return start, datetime(after.year, after.month, after.day, tzinfo=hub.tz)


@dataclass(frozen=True)
class FairUseLimits:
    max_open: int
    max_hours_per_week: int


def fair_use_limits(*, hub: Hub, household_id: int) -> FairUseLimits:
    """The hub's fair-use limits; a household's ``FairUseOverride`` replaces them where it sets
    one."""
    limits = FairUseLimits(
        hub.max_concurrent_bookings_per_household, hub.max_hours_per_week_per_household
    )
    override = FairUseOverride.objects.filter(household_id=household_id).first()
    if override is None:
        return limits
    return FairUseLimits(
        limits.max_open
        if override.max_concurrent_bookings is None
        else override.max_concurrent_bookings,
        limits.max_hours_per_week
        if override.max_hours_per_week is None
        else override.max_hours_per_week,
    )


def fair_use_errors(
    *,
    hub: Hub,
    household_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    exclude_booking_id: int | None = None,
    limits: FairUseLimits | None = None,
) -> dict[str, list[str]]:
    """At most N open bookings per household, and at most H booked hours per local week.

    ``limits`` (N and H) may be read beforehand, so that a caller holding the hub lock reads
    only the bookings under it; by default they are read here.
    """
    errors: dict[str, list[str]] = {}
    if limits is None:
        limits = fair_use_limits(hub=hub, household_id=household_id)
    max_open, max_hours = limits.max_open, limits.max_hours_per_week
    weeks = [_week_bounds(hub, start)]
    while weeks[-1][1] < end:
        weeks.append(_week_bounds(hub, weeks[-1][1] + timedelta(hours=1)))
    # One read for both limits: the open bookings, and whatever counts in the weeks touched.
    counts_open = exclude_booking_id is None
    wanted = Q(
        status__in=[*OPEN_STATUSES, BookingStatus.COMPLETED],
        start__lt=weeks[-1][1],
        end__gt=weeks[0][0],
    )
    if counts_open:
        wanted |= Q(status__in=OPEN_STATUSES, end__gt=now)
    rows = Booking.objects.filter(wanted, household_id=household_id)
    if exclude_booking_id is not None:
        rows = rows.exclude(pk=exclude_booking_id)
    found = list(rows.values_list("start", "end", "status"))
    if counts_open:
        open_values = {str(status) for status in OPEN_STATUSES}
        open_count = sum(1 for _, b_end, status in found if status in open_values and b_end > now)
        if open_count >= max_open:
            errors["non_field_errors"] = [
                _("Your household already has %(n)s open bookings, the most allowed.")
                % {"n": max_open}
            ]
    limit = timedelta(hours=max_hours)
    counted = [(b_start, b_end) for b_start, b_end, _ in found]
    counted.append((start, end))
    for week_start, week_end in weeks:
        used = sum(
            (
                elapsed(max(b_start, week_start), min(b_end, week_end))
                for b_start, b_end in counted
                if b_start < week_end and b_end > week_start
            ),
            timedelta(),
        )
        if used > limit:
            errors.setdefault("end", []).append(
                _("Your household may book at most %(hours)s hours per week.")
                % {"hours": max_hours}
            )
            break
    return errors


def raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def merge(*parts: dict[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for part in parts:
        for key, messages in part.items():
            merged.setdefault(key, []).extend(messages)
    return merged
