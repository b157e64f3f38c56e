"""What the home page and the booking page read: a booking as a card, with what the resident
should be told about it (the car changed, the person before them is late, the bound car's
photo), and the household's upcoming bookings as cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from sharing.models import (
    HOLDS_CAR_STATUSES,
    OPEN_STATUSES,
    Booking,
    BookingStatus,
    BookingVehicleChange,
    VehiclePhoto,
)


@dataclass(frozen=True)
class CarPhoto:
    """Where the bound car's photo is and its size (so the page keeps its room while loading)."""

    url: str
    width: int
    height: int


@dataclass(frozen=True)
class BookingCard:
    """A booking with what the resident should be told about it."""

    booking: Booking
    car_changed: bool
    previous_late: bool
    car_photo: CarPhoto | None = None

    @property
    def cost(self) -> Decimal:
        """What the booking costs: the fee when it was cancelled or missed, else the estimate."""
        if self.booking.status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
            return self.booking.fee
        return self.booking.price_estimate


def household_bookings(user: User) -> QuerySet[Booking]:
    """The bookings of the user's household (none without one), with what a card shows."""
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


def _car_photo(booking: Booking) -> CarPhoto | None:
    """The photo of the car bound to the booking, once it is bound and until it is back (the
    bytes stay in the database: only their version and size are read)."""
    if booking.vehicle_id is None or booking.status not in HOLDS_CAR_STATUSES:
        return None
    row = (
        VehiclePhoto.objects.filter(vehicle_id=booking.vehicle_id)
        .values_list("updated_at", "width", "height")
        .first()
    )
    if row is None:
        return None
    updated_at, width, height = row
    url = reverse("sharing:car-photo", args=[booking.vehicle_id])
    return CarPhoto(url=f"{url}?v={int(updated_at.timestamp())}", width=width, height=height)


def card(booking: Booking) -> BookingCard:
    return BookingCard(
        booking=booking,
        car_changed=_car_changed(booking),
        previous_late=_previous_late(booking),
        car_photo=_car_photo(booking),
    )


def upcoming_bookings(*, user: User, now: datetime | None = None) -> list[BookingCard]:
    """The household's open bookings that have not ended, soonest first."""
    now = now or timezone.now()
    bookings = (
        household_bookings(user)
        .filter(status__in=OPEN_STATUSES, end__gt=now)
        .prefetch_related(
            Prefetch("vehicle_changes", queryset=BookingVehicleChange.objects.order_by("at"))
        )
        .order_by("start", "id")
    )
    return [card(b) for b in bookings]
