"""Damage reports by residents, with a photo cleaned of its metadata."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from sharing.models import Booking, BookingStatus, DamageReport
from sharing.photos import MAX_PHOTO_BYTES, photo_clean

__all__ = ["MAX_PHOTO_BYTES", "MAX_SIDE", "REPORTABLE", "clean_photo", "damage_report_create"]

MAX_SIDE = 1600  # px: enough to see a scratch, small enough for the database
REPORTABLE = (BookingStatus.BOUND, BookingStatus.ACTIVE, BookingStatus.COMPLETED)


def clean_photo(data: bytes) -> bytes:
    """The photo as a JPEG of at most 1600 px a side, turned upright, without EXIF or GPS.

    Raises ``ValidationError`` (for the ``photo`` field) for anything that is not an image.
    """
    return photo_clean(data, max_side=MAX_SIDE).jpeg


def damage_report_create(
    *,
    booking: Booking,
    reported_by: User,
    description: str,
    photo: bytes | None = None,
    photo_is_clean: bool = False,
    now: datetime | None = None,
) -> DamageReport:
    """Record damage found on the booking's car (bound, on the road, or just returned).

    ``photo_is_clean``: the photo has been through :func:`clean_photo` already.
    """
    description = description.strip()
    if not description:
        raise ValidationError({"description": [_("Say what is damaged.")]})
    if booking.vehicle_id is None or booking.status not in REPORTABLE:
        raise ValidationError(
            {"description": [_("Damage can be reported once a car is bound to the booking.")]}
        )
    cleaned = (photo if photo_is_clean else clean_photo(photo)) if photo else None
    with transaction.atomic():
        return DamageReport.objects.create(
            booking=booking,
            vehicle_id=booking.vehicle_id,
            reported_by=reported_by,
            description=description[:2000],
            photo=cleaned,
            created_at=now or timezone.now(),
        )
