"""The monthly statement of a household: its trips, kilometres, energy, cost and fees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from accounts.models import User
from sharing.models import Booking, BookingStatus


@dataclass(frozen=True)
class StatementLine:
    booking: Booking
    km: int | None
    kwh: Decimal | None
    cost: Decimal  # the trip's price estimate, or 0 for a cancelled or missed booking
    fee: Decimal


@dataclass(frozen=True)
class Statement:
    month: date  # the first day
    trips: list[StatementLine]
    fees: list[StatementLine]

    @property
    def km(self) -> int:
        return sum(line.km or 0 for line in self.trips)

    @property
    def kwh(self) -> Decimal:
        return sum((line.kwh or Decimal(0) for line in self.trips), Decimal(0))

    @property
    def trip_cost(self) -> Decimal:
        return sum((line.cost for line in self.trips), Decimal(0))

    @property
    def fee_total(self) -> Decimal:
        return sum((line.fee for line in self.fees), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.trip_cost + self.fee_total

    @property
    def previous_month(self) -> date:
        m = self.month
        return date(m.year - 1, 12, 1) if m.month == 1 else date(m.year, m.month - 1, 1)

    @property
    def next_month(self) -> date:
        m = self.month
        return date(m.year + 1, 1, 1) if m.month == 12 else date(m.year, m.month + 1, 1)


def _month_bounds(month: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    after = (
        date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)
    )
    return (
        datetime(month.year, month.month, 1, tzinfo=tz),
        datetime(after.year, after.month, 1, tzinfo=tz),
    )


def household_statement(*, user: User, month: date) -> Statement:
    """The household's completed trips that started in ``month`` (local time) and the fees of
    its cancelled and missed bookings of that month. Only the resident's own household."""
    if user.household_id is None:
        return Statement(month=month, trips=[], fees=[])
    start, end = _month_bounds(month, ZoneInfo(settings.TIME_ZONE))
    rows = (
        Booking.objects.filter(household_id=user.household_id, start__gte=start, start__lt=end)
        .filter(
            Q(status=BookingStatus.COMPLETED)
            | Q(status__in=[BookingStatus.CANCELLED, BookingStatus.NO_SHOW], fee__gt=0)
        )
        .select_related("hub", "vehicle__model", "resident", "trip")
        .order_by("start", "id")
    )
    trips, fees = [], []
    for booking in rows:
        if booking.status == BookingStatus.COMPLETED:
            trip = getattr(booking, "trip", None)
            trips.append(
                StatementLine(
                    booking=booking,
                    km=trip.km if trip else None,
                    kwh=trip.kwh_used if trip else None,
                    cost=booking.price_estimate,
                    fee=booking.fee,
                )
            )
        else:
            fees.append(StatementLine(booking, None, None, Decimal(0), booking.fee))
    return Statement(month=month, trips=trips, fees=fees)
