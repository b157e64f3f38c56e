"""Project-level views: the API root and a health check."""

from __future__ import annotations

import logging
from typing import cast

from django.http import HttpRequest, JsonResponse
from django.urls import NoReverseMatch, reverse
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from config import health

logger = logging.getLogger("wisselstroom.health")

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


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, Redis, a Celery worker and every hub's live plan are fine; 503
    naming each that is not (see ``config.health``)."""
    healthy, body = health.report()
    response = JsonResponse(body, status=200 if healthy else 503)
    if not healthy:
        # One warning per probe, not Django's ERROR for a 503, which mails the admins: a probe
        # every few seconds during an outage would flood their mailbox.
        logger.warning("unhealthy: %s", "; ".join(cast(list[str], body["problems"])))
        setattr(response, "_has_been_logged", True)  # noqa: B010 - read by django.utils.log
    return response


def liveness(request: HttpRequest) -> JsonResponse:
    """200 whenever this process serves requests: the container's own health check, which must
    not fail (and restart web) because a worker or a hub's plan is late."""
    return JsonResponse({"status": "ok"})
