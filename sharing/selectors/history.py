"""What the History page reads: the household's bookings still coming, cancelled and past, with
the totals of the trips made. Figures other apps add to the page come from
``sharing.page_figures``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from sharing.models import OPEN_STATUSES, Booking, BookingStatus, Trip
from sharing.selectors.cards import BookingCard, household_bookings, upcoming_bookings

HISTORY_LIMIT = 50


@dataclass(frozen=True)
class History:
    """The History page: what is still coming, what was cancelled, and the trips made."""

    upcoming: list[BookingCard]
    cancelled: list[BookingCard]
    past: list[BookingCard]

    @property
    def km(self) -> int:
        return sum(c.booking.trip.km or 0 for c in self.past if _trip(c.booking) is not None)

    @property
    def kwh(self) -> Decimal:
        return sum(
            (
                c.booking.trip.kwh_used or Decimal(0)
                for c in self.past
                if _trip(c.booking) is not None
            ),
            Decimal(0),
        )

    @property
    def cost(self) -> Decimal:
        return sum((c.cost for c in self.past), Decimal(0))


def _trip(booking: Booking) -> Trip | None:
    try:
        return booking.trip
    except Trip.DoesNotExist:
        return None


def history(*, user: User, now: datetime | None = None) -> History:
    """The household's bookings split three ways: open and not yet ended (soonest first),
    cancelled (latest first, with any fee), and past trips and missed bookings (latest first)."""
    now = now or timezone.now()
    cancelled = (
        household_bookings(user)
        .filter(status=BookingStatus.CANCELLED)
        .order_by("-start", "-id")[:HISTORY_LIMIT]
    )
    past = (
        household_bookings(user)
        .exclude(status=BookingStatus.CANCELLED)
        .filter(
            Q(status__in=[BookingStatus.COMPLETED, BookingStatus.NO_SHOW])
            | Q(status__in=OPEN_STATUSES, end__lte=now)
        )
        .select_related("trip")
        .order_by("-start", "-id")[:HISTORY_LIMIT]
    )
    return History(
        upcoming=upcoming_bookings(user=user, now=now),
        cancelled=[
            BookingCard(booking=b, car_changed=False, previous_late=False) for b in cancelled
        ],
        past=[BookingCard(booking=b, car_changed=False, previous_late=False) for b in past],
    )
