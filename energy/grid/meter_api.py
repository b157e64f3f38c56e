"""The API of a hub's site meter: it posts the connection's net power readings.

A site meter authenticates with its own token (``Authorization: Token <key>``, issued in the
admin on the *Site meters* page) that only this view accepts, and writes only its own hub's
readings: another hub's URL is a 404, as if that hub did not exist. Readings are kept once per
reading time (``energy.grid.services.site_meter``), so a batch that timed out may simply be
sent again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from energy.grid import services
from energy.grid.models import SiteMeter
from energy.grid.services import SiteReading
from energy.grid.services.site_meter import MAX_NET_KW, MAX_READINGS
from energy.grid.tokens import CounterpartyTokenAuthentication


class SiteMeterTokenAuthentication(CounterpartyTokenAuthentication):
    """``Authorization: Token <key>`` for a site meter; no other token is one."""

    model = SiteMeter
    select_related = ("hub",)


class SiteMeterTokenScheme(OpenApiAuthenticationExtension):
    target_class = "energy.grid.meter_api.SiteMeterTokenAuthentication"
    name = "siteMeterToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A site meter's token: `Token <key>` (issued by a fleet admin).",
        }


class IsSiteMeter(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, SiteMeter)


class SiteMeterThrottle(SimpleRateThrottle):
    """Per meter (a meter's id is no user's id)."""

    rate = "120/min"
    scope = "site_meter"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = request.user
        ident = user.pk if isinstance(user, SiteMeter) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AwareDateTimeField(serializers.DateTimeField):
    """A time with its UTC offset: a meter's naive clock time is refused, not guessed."""

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            raise serializers.ValidationError(
                "Give the time with its UTC offset, e.g. 2026-03-01T12:00:00+01:00."
            )
        return super().enforce_timezone(value)


class SiteReadingSerializer(serializers.Serializer):
    at = AwareDateTimeField(help_text="When the meter read the power (ISO 8601 with offset).")
    net_kw = serializers.FloatField(
        min_value=-MAX_NET_KW,
        max_value=MAX_NET_KW,
        help_text="Net power at the connection, kW: + import from the grid, - export.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        problem = services.site_reading_check(attrs["at"], attrs["net_kw"], now=timezone.now())
        if problem:
            raise serializers.ValidationError(problem[0].upper() + problem[1:] + ".")
        return attrs


class SiteReadingsSerializer(serializers.Serializer):
    readings = serializers.ListField(
        child=SiteReadingSerializer(), min_length=1, max_length=MAX_READINGS
    )

    def validate_readings(self, readings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: dict[datetime, float] = {}
        for n, r in enumerate(readings):
            if seen.setdefault(r["at"], r["net_kw"]) != r["net_kw"]:
                raise serializers.ValidationError(
                    f"Reading {n}: the same time as an earlier reading, with another value."
                )
        return readings


class SiteReadingsResultSerializer(serializers.Serializer):
    hub = serializers.SlugField()
    received = serializers.IntegerField(help_text="Readings in the request.")
    recorded = serializers.IntegerField(help_text="Readings kept now.")
    already_known = serializers.IntegerField(
        help_text="Readings of a time already kept (the first value of a time stands)."
    )


def flat_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors of a list as one list of messages per field path
    (``readings[3].at``), the shape the schema documents for a 400."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            if isinstance(key, int) or str(key).isdigit():
                path = f"{prefix}[{key}]"
            elif prefix:
                path = f"{prefix}.{key}"
            else:
                path = str(key)
            for k, v in flat_errors(value, path).items():
                flat.setdefault(k, []).extend(v)
    elif isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors):
        flat[prefix or "non_field_errors"] = [str(e) for e in errors]
    elif isinstance(errors, list):
        for n, value in enumerate(errors):
            if value:
                for k, v in flat_errors(value, f"{prefix}[{n}]").items():
                    flat.setdefault(k, []).extend(v)
    else:
        flat[prefix or "non_field_errors"] = [str(errors)]
    return flat


class SiteReadingsView(APIView):
    authentication_classes = [SiteMeterTokenAuthentication]
    permission_classes = [IsSiteMeter]
    throttle_classes = [SiteMeterThrottle]

    @extend_schema(
        operation_id="grid_hub_site_meter_readings",
        request=SiteReadingsSerializer,
        responses={200: SiteReadingsResultSerializer},
        description="The site meter posts up to 1000 readings of the connection's net power. "
        "A reading of a time already kept is counted in `already_known` and changes nothing, "
        "so a batch may be sent again; one bad reading refuses the batch (400, per reading).",
    )
    def post(self, request: Request, slug: str) -> Response:
        meter = request.user
        assert isinstance(meter, SiteMeter)
        if meter.hub.slug != slug:
            raise Http404
        data = SiteReadingsSerializer(data=request.data)
        if not data.is_valid():
            raise exceptions.ValidationError(flat_errors(data.errors))
        readings = [SiteReading(r["at"], r["net_kw"]) for r in data.validated_data["readings"]]
        outcome = services.site_readings_record(hub=meter.hub, readings=readings)
        return Response(
            SiteReadingsResultSerializer(
                {
                    "hub": meter.hub.slug,
                    "received": len(readings),
                    "recorded": outcome.recorded,
                    "already_known": outcome.already_known,
                }
            ).data
        )
