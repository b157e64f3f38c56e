"""Request guards that hold for every URL of the project."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from config.outage import REDIS_DOWN, logger, reason

# Bodies read as text (a multipart body is checked field by field).
TEXT_BODIES = ("application/json", "application/x-www-form-urlencoded", "text/")


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def request_holds_nul(request: HttpRequest) -> bool:
    """Whether the path, the query string or a text body carries a NUL character, raw, as
    ``%00`` or (in JSON) as ``\\u0000``."""
    if "\x00" in request.path_info:
        return True
    query = request.META.get("QUERY_STRING", "")
    if "\x00" in query or "%00" in query:
        return True
    content_type = request.content_type or ""
    if content_type == "multipart/form-data":
        # The fields only: an uploaded file may hold any byte.
        return request.method == "POST" and any(
            _holds_nul(key) or _holds_nul(values) for key, values in request.POST.lists()
        )
    if not content_type.startswith(TEXT_BODIES):
        return False
    body = request.body
    if b"\x00" in body or (b"%00" in body and "urlencoded" in content_type):
        return True
    if b"\\u0000" in body and "json" in content_type:
        try:
            return _holds_nul(json.loads(body))
        except ValueError:
            return False  # malformed JSON: the API says so itself
    return False


class RejectNulMiddleware:
    """Answer 400 to any request with a NUL character in its path, query string or body.

    No text a person types contains one, and PostgreSQL refuses to store or even compare text
    that does: left alone, such a slug or field surfaces as a 500 deep in a query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request_holds_nul(request):
            return self.get_response(request)
        message = _(
            "The request contains a NUL character (\\x00 or %00), which is never valid here. "
            "Remove it and send the request again."
        )
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class RedisDownMiddleware:
    """A 503 that says so, instead of a 500 page, when Redis is unreachable on a path that
    truly needs it (bookings and availability carry on without it; see config.outage)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, REDIS_DOWN):
            return None
        logger.warning(
            "Redis is unreachable, %s %s answered 503: %s",
            request.method,
            request.path,
            reason(exception),
        )
        message = _(
            "This is not available for a moment: a part of the service is down. "
            "Please try again in a few minutes."
        )
        if request.path_info.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": message}, status=503)
        else:
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "60"
        # Logged above as one warning: Django's ERROR for a 5xx would mail the admins once per
        # request for as long as the outage lasts.
        setattr(response, "_has_been_logged", True)  # noqa: B010 - read by django.utils.log
        return response
