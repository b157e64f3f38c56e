"""Reads behind the resident's booking pages (home, history), with their joins applied here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import FieldError
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from sharing.models import (
    OPEN_STATUSES,
    Booking,
    BookingStatus,
    BookingVehicleChange,
    Trip,
)

HISTORY_LIMIT = 50


@dataclass(frozen=True)
class BookingCard:
    """A booking with what the resident should be told about it."""

    booking: Booking
    car_changed: bool
    previous_late: bool

    @property
    def cost(self) -> Decimal:
        """What the booking costs: the fee when it was cancelled or missed, else the estimate."""
        if self.booking.status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
            return self.booking.fee
        return self.booking.price_estimate


def _household_bookings(user: User) -> QuerySet[Booking]:
    if user.household_id is None:
        return Booking.objects.none()
    return Booking.objects.filter(household_id=user.household_id).select_related(
        "hub", "vehicle__model", "vehicle__home_bay", "resident"
    )


def _car_changed(booking: Booking) -> bool:
    """A different car than the first one bound (changes are prefetched)."""
    return any(change.old_vehicle_id is not None for change in booking.vehicle_changes.all())


def _previous_late(booking: Booking) -> bool:
    """The person before us with this car has not brought it back on time."""
    if booking.late_notice_sent_at is not None:
        return True
    if booking.vehicle_id is None or booking.status != BookingStatus.BOUND:
        return False
    return (
        Booking.objects.filter(
            vehicle_id=booking.vehicle_id,
            status=BookingStatus.ACTIVE,
            late_since__isnull=False,
            start__lt=booking.start,
        )
        .exclude(pk=booking.pk)
        .exists()
    )


def card(booking: Booking) -> BookingCard:
    return BookingCard(
        booking=booking, car_changed=_car_changed(booking), previous_late=_previous_late(booking)
    )


def upcoming_bookings(*, user: User, now: datetime | None = None) -> list[BookingCard]:
    """The household's open bookings that have not ended, soonest first."""
    now = now or timezone.now()
    bookings = (
        _household_bookings(user)
        .filter(status__in=OPEN_STATUSES, end__gt=now)
        .prefetch_related(
            Prefetch("vehicle_changes", queryset=BookingVehicleChange.objects.order_by("at"))
        )
        .order_by("start", "id")
    )
    return [card(b) for b in bookings]


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
        _household_bookings(user)
        .filter(status=BookingStatus.CANCELLED)
        .order_by("-start", "-id")[:HISTORY_LIMIT]
    )
    past = (
        _household_bookings(user)
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


def past_bookings(*, user: User, now: datetime | None = None) -> list[BookingCard]:
    """The household's finished, cancelled and missed bookings, latest first, with their trip."""
    now = now or timezone.now()
    bookings = (
        _household_bookings(user)
        .filter(
            Q(status__in=[BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW])
            | Q(end__lte=now)
        )
        .select_related("trip")
        .prefetch_related("vehicle_changes")
        .order_by("-start", "-id")[:HISTORY_LIMIT]
    )
    return [BookingCard(booking=b, car_changed=False, previous_late=False) for b in bookings]


@dataclass(frozen=True)
class OwnCarFeedBack:
    has_car: bool
    kwh: Decimal


def own_car_fed_back(*, user: User) -> OwnCarFeedBack:
    """kWh the resident's own cars fed back over ended sessions.

    ``sharing`` never imports ``energy``; the private cars hang off the user as a reverse
    relation that ``energy`` adds, so this reads them by name and copes with their absence.
    """
    try:
        row = User.objects.filter(pk=user.pk).aggregate(
            cars=Count("private_cars", distinct=True),
            kwh=Sum(
                "private_cars__sessions__energy_fed_back_kwh",
                filter=Q(private_cars__sessions__status="ended"),
            ),
        )
    except FieldError:
        return OwnCarFeedBack(has_car=False, kwh=Decimal(0))
    return OwnCarFeedBack(has_car=bool(row["cars"]), kwh=row["kwh"] or Decimal(0))
