"""Pick-up and return by the resident, each with an optional damage report, in one step."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from sharing.models import Booking, Trip
from sharing.services.damage import clean_photo, damage_report_create
from sharing.services.lifecycle import booking_pick_up, booking_return


def _report(
    booking: Booking, resident: User, damage: str, photo: bytes | None, now: datetime | None
) -> None:
    if damage.strip():
        booking.refresh_from_db()
        damage_report_create(
            booking=booking,
            reported_by=resident,
            description=damage,
            photo=photo,
            photo_is_clean=True,
            now=now,
        )


def trip_start(
    *,
    booking: Booking,
    resident: User,
    odometer_km: int | None = None,
    soc_percent: Decimal | None = None,
    damage: str = "",
    photo: bytes | None = None,
    now: datetime | None = None,
) -> Trip:
    """The resident takes the bound car; damage found before driving off is recorded with it.

    A photo is cleaned first, so a file that is not a photo refuses before anything changes.
    """
    cleaned = clean_photo(photo) if photo else None
    with transaction.atomic():
        trip = booking_pick_up(
            booking=booking, now=now, odometer_km=odometer_km, soc_percent=soc_percent
        )
        _report(booking, resident, damage, cleaned, now)
    return trip


def trip_end(
    *,
    booking: Booking,
    resident: User,
    odometer_km: int,
    soc_percent: Decimal,
    damage: str = "",
    photo: bytes | None = None,
    now: datetime | None = None,
) -> Trip:
    """The resident brings the car back: odometer and charge close the trip; damage is kept."""
    cleaned = clean_photo(photo) if photo else None
    with transaction.atomic():
        trip = booking_return(
            booking=booking, odometer_km=odometer_km, soc_percent=soc_percent, now=now
        )
        _report(booking, resident, damage, cleaned, now)
    return trip
