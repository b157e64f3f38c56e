"""Damage reports by residents, with a photo cleaned of its metadata."""

from __future__ import annotations

import io
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.models import User
from sharing.models import Booking, BookingStatus, DamageReport

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_SIDE = 1600  # px: enough to see a scratch, small enough for the database
REPORTABLE = (BookingStatus.BOUND, BookingStatus.ACTIVE, BookingStatus.COMPLETED)


def clean_photo(data: bytes) -> bytes:
    """The photo as a JPEG of at most 1600 px a side, turned upright, without EXIF or GPS.

    Raises ``ValidationError`` (for the ``photo`` field) for anything that is not an image.
    """
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": [_("The photo is too large (at most 8 MB).")]})
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > 50_000_000:
                raise ValidationError({"photo": [_("The photo is too large (at most 8 MB).")]})
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(
            {"photo": [_("That file is not a photo we can read (JPEG, PNG or WebP).")]}
        ) from None
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    upright.save(out, format="JPEG", quality=82, optimize=True)  # no exif= : metadata dropped
    return out.getvalue()


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
