"""Project-level views: the API root and a health check."""

from __future__ import annotations

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.urls import NoReverseMatch, reverse
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from config.outage import reason, where

# Named routes listed at /api/; apps add theirs here as they grow.
API_ROOT_ROUTES = [
    ("schema", "api-schema"),
    ("docs", "api-docs"),
    ("me", "api-me"),
    ("availability", "api-availability"),
    ("bookings", "api-booking-list"),
    ("vehicles", "api-vehicle-list"),
    ("hubs", "api-hub-list"),
    ("plans", "api-plan-list"),
]


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request: Request) -> Response:
    links = {}
    for label, name in API_ROOT_ROUTES:
        try:
            links[label] = request.build_absolute_uri(reverse(name))
        except NoReverseMatch:
            continue
    return Response(links)


def _database_problem() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return f"database ({connection.vendor}) is unreachable: {reason(exc)}"
    return None


def _redis_problem(url: str) -> str | None:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        return f"redis at {where(url)} is unreachable: {reason(exc)}"
    finally:
        client.close()
    return None


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and (if configured) Redis answer; 503 naming what does not."""
    problems = [p for p in [_database_problem()] if p]
    body: dict[str, object] = {"database": connection.vendor, "redis": "not configured"}
    if settings.REDIS_URL:
        redis_problem = _redis_problem(settings.REDIS_URL)
        body["redis"] = "unreachable" if redis_problem else "ok"
        problems += [redis_problem] if redis_problem else []
    if problems:
        return JsonResponse({"status": "unhealthy", "problems": problems, **body}, status=503)
    return JsonResponse({"status": "ok", **body})
