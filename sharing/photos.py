"""Photos kept in the database: re-encoded as JPEG, turned upright, without their metadata.

Damage reports (``sharing.services.damage``) and the cars' own photos
(``sharing.services.vehicle_photos``) both go through :func:`photo_clean`, so no photo that
reaches a page carries a location or camera details, and anything that is not an image is a
``ValidationError`` for the form field that brought it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 50_000_000  # refuse a decompression bomb before decoding it


@dataclass(frozen=True)
class CleanPhoto:
    jpeg: bytes
    width: int
    height: int


def photo_clean(data: bytes, *, max_side: int, field: str = "photo") -> CleanPhoto:
    """The photo as a JPEG of at most ``max_side`` px a side, upright, without EXIF or GPS.

    Raises ``ValidationError`` (for ``field``) for anything that is not an image we can read.
    """
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError({field: [_("The photo is too large (at most 8 MB).")]})
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError({field: [_("The photo is too large (at most 8 MB).")]})
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(
            {field: [_("That file is not a photo we can read (JPEG, PNG or WebP).")]}
        ) from None
    upright.thumbnail((max_side, max_side))
    out = io.BytesIO()
    upright.save(out, format="JPEG", quality=82, optimize=True)  # no exif= : metadata dropped
    return CleanPhoto(jpeg=out.getvalue(), width=upright.width, height=upright.height)
