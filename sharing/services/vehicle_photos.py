"""A car's photo, set or removed by the fleet admin (the car's change page in the admin)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from sharing.models import Vehicle, VehiclePhoto
from sharing.photos import CleanPhoto, photo_clean

# px: sharp on a phone's booking page at twice its density, a few dozen kB in the database.
MAX_SIDE = 1200


def vehicle_photo_clean(data: bytes) -> CleanPhoto:
    """What :func:`vehicle_photo_set` stores, for a form that checks the upload first."""
    return photo_clean(data, max_side=MAX_SIDE)


def vehicle_photo_set(
    *, vehicle: Vehicle, photo: bytes | CleanPhoto, now: datetime | None = None
) -> VehiclePhoto:
    """Give the car its photo (replacing any before). Raw bytes are cleaned first and raise
    ``ValidationError`` (field ``photo``) when they are not an image; a ``CleanPhoto`` has been
    through :func:`vehicle_photo_clean` already."""
    clean = photo if isinstance(photo, CleanPhoto) else vehicle_photo_clean(photo)
    with transaction.atomic():
        stored, _ = VehiclePhoto.objects.update_or_create(
            vehicle=vehicle,
            defaults={
                "jpeg": clean.jpeg,
                "width": clean.width,
                "height": clean.height,
                "updated_at": now or timezone.now(),
            },
        )
        return stored


def vehicle_photo_remove(*, vehicle: Vehicle) -> bool:
    """Remove the car's photo; whether there was one."""
    with transaction.atomic():
        deleted, _ = VehiclePhoto.objects.filter(vehicle=vehicle).delete()
        return deleted > 0
