"""A car's photo, for the households it is bound to and for staff (``sharing.access``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from sharing import access
from sharing.views.common import request_user


@login_required
@require_GET
def car_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """The JPEG; its URL carries the photo's version (``?v=``), so it may be kept a day."""
    photo = access.vehicle_photo_get_for_user(user=request_user(request), vehicle_id=pk)
    response = HttpResponse(bytes(photo.jpeg), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response
