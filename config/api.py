"""API-wide behaviour shared by every app's DRF views."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.throttle import throttled_detail


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django ``ValidationError`` from services turned into a 400.

    Services raise Django's ``ValidationError`` with per-field messages; the API answers with
    the same shape DRF uses for serializer errors, so clients see one error format.
    """
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail: Any = {
                field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()
            }
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, exceptions.Throttled):
        # DRF says "Request was throttled. Expected available in 42 seconds."
        wait = getattr(exc, "wait", None)
        exc = exceptions.Throttled(detail=throttled_detail(wait))
        exc.wait = wait  # type: ignore[attr-defined]  # DRF's handler sends it as Retry-After
    return drf_exception_handler(exc, context)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: under /api/ a URL that names nothing (``/api/bookings/0.5/``) is JSON like
    every other API answer; elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(_("Not found."))}, status=404)
    return page_not_found(request, exception)
