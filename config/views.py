"""Project-level views: the API root (the health checks are ``config.health``)."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

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
