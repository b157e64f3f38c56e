"""The API for an aggregator counterparty: its hubs' baseline, offers and orders.

An aggregator authenticates with its own token (``Authorization: Token <key>``, issued in the
admin) that only these views accept, and sees only the hubs it is given. Nothing here names a
resident, a booking or a car: a hub's connection is the smallest thing it can read.
Orders follow the UFTP rules of ``energy.grid.services`` (the same as a DSO's FlexOrder):
``message_id`` is the idempotency key, so a retried order is answered and applied once.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from energy.grid import selectors, services
from energy.grid.models import Aggregator, GridOrder
from energy.grid.services import OrderedIsp, Rejected, RequestedIsp
from energy.grid.settlement import order_delivery
from energy.grid.tokens import CounterpartyTokenAuthentication
from energy.models import Site
from sharing.models import Hub

MAX_W = 10**9  # a gigawatt: far beyond any hub


class AggregatorTokenAuthentication(CounterpartyTokenAuthentication):
    """``Authorization: Token <key>`` for an aggregator; a resident's token is not one."""

    model = Aggregator


class AggregatorTokenScheme(OpenApiAuthenticationExtension):
    target_class = "energy.grid.api.AggregatorTokenAuthentication"
    name = "aggregatorToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An aggregator's token: `Token <key>` (issued by a fleet admin).",
        }


class IsAggregator(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, Aggregator)


class AggregatorThrottle(SimpleRateThrottle):
    """Per aggregator, apart from residents (an aggregator's id is no user's id)."""

    rate = "600/min"
    scope = "aggregator"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = request.user
        if not isinstance(user, Aggregator):
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class AggregatorView(APIView):
    authentication_classes = [AggregatorTokenAuthentication]
    permission_classes = [IsAggregator]
    throttle_classes = [AggregatorThrottle]

    @property
    def aggregator(self) -> Aggregator:
        user = self.request.user
        assert isinstance(user, Aggregator)
        return user

    def hub(self, slug: str) -> Hub:
        hub = self.aggregator.hubs.filter(slug=slug, site__isnull=False).first()
        if hub is None:
            raise Http404
        return hub


# --- Serializers ---------------------------------------------------------------------------


class GridHubSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    congestion_point = serializers.CharField(help_text="The connection: `ean.<EAN>`.")
    time_zone = serializers.CharField()


class GridBaselineIspSerializer(serializers.Serializer):
    isp = serializers.IntegerField(help_text="1 at local midnight.")
    start = serializers.DateTimeField()
    power_w = serializers.IntegerField(
        allow_null=True, help_text="Planned net import (+) or export (-); null: not planned."
    )
    free_up_w = serializers.IntegerField(help_text="Less import that could still be offered.")
    free_down_w = serializers.IntegerField(help_text="More import that could still be offered.")


class GridBaselineSerializer(serializers.Serializer):
    hub = serializers.SlugField()
    day = serializers.DateField()
    isps = GridBaselineIspSerializer(many=True)


class GridDayQuerySerializer(serializers.Serializer):
    day = serializers.DateField(required=False, help_text="Local day; today if absent.")


class GridRequestIspSerializer(serializers.Serializer):
    isp = serializers.IntegerField(min_value=1, max_value=100)
    min_power_w = serializers.IntegerField(min_value=-MAX_W, max_value=MAX_W)
    max_power_w = serializers.IntegerField(min_value=-MAX_W, max_value=MAX_W)


class GridOfferRequestSerializer(serializers.Serializer):
    day = serializers.DateField()
    isps = serializers.ListField(child=GridRequestIspSerializer(), min_length=1, max_length=100)


class GridOfferIspSerializer(serializers.Serializer):
    isp = serializers.IntegerField()
    start = serializers.DateTimeField()
    power_w = serializers.IntegerField(help_text="Deviation offered: - less import, + more.")
    baseline_w = serializers.IntegerField()


class GridOfferSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="message_id")
    hub = serializers.SlugField(source="hub.slug")
    day = serializers.DateField(source="period")
    direction = serializers.CharField()
    price_eur = serializers.DecimalField(max_digits=12, decimal_places=4)
    expires_at = serializers.DateTimeField()
    status = serializers.CharField()
    isps = GridOfferIspSerializer(many=True, source="slots.all")


class GridOrderIspSerializer(serializers.Serializer):
    isp = serializers.IntegerField(min_value=1, max_value=100)
    power_w = serializers.IntegerField(min_value=-MAX_W, max_value=MAX_W)


class GridOrderCreateSerializer(serializers.Serializer):
    message_id = serializers.UUIDField(help_text="Your id of this order: retry with the same.")
    offer = serializers.UUIDField()
    isps = serializers.ListField(child=GridOrderIspSerializer(), min_length=1, max_length=100)
    price_eur = serializers.DecimalField(max_digits=12, decimal_places=4, min_value=0)
    order_reference = serializers.CharField(max_length=64, required=False, default="")


class GridDeliveryIspSerializer(serializers.Serializer):
    isp = serializers.IntegerField()
    start = serializers.DateTimeField()
    baseline_w = serializers.IntegerField()
    ordered_w = serializers.IntegerField()
    planned_w = serializers.IntegerField(
        allow_null=True, help_text="Net power the current plan holds in the ISP."
    )
    planned_deviation_w = serializers.IntegerField(allow_null=True)
    measured_w = serializers.IntegerField(
        allow_null=True,
        help_text="Net power measured: the site meter's where it reports, else estimated from "
        "the chargers' meter values; null: no meter value.",
    )
    measured_by = serializers.ChoiceField(
        choices=["site_meter", "chargers", ""],
        help_text="Which meter `measured_w` comes from (empty: none).",
    )
    delivered_w = serializers.IntegerField(allow_null=True, help_text="Measured less baseline.")
    deficiency_w = serializers.IntegerField(help_text="Ordered but not delivered.")
    settled = serializers.BooleanField(help_text="The ISP is over.")


class GridOrderSerializer(serializers.Serializer):
    message_id = serializers.UUIDField()
    offer = serializers.UUIDField(source="offer.message_id")
    hub = serializers.SlugField(source="offer.hub.slug")
    day = serializers.DateField(source="offer.period")
    price_eur = serializers.DecimalField(max_digits=12, decimal_places=4)
    accepted_at = serializers.DateTimeField()
    isps = serializers.SerializerMethodField()

    @extend_schema_field(GridDeliveryIspSerializer(many=True))
    def get_isps(self, order: GridOrder) -> list[dict[str, Any]]:
        measured = {i.isp: i for i in order_delivery(order).isps}
        rows = selectors.order_delivery(order=order)
        for row in rows:
            m = measured[row["isp"]]
            row |= {
                "measured_w": m.measured_w,
                "measured_by": m.source,
                "delivered_w": m.delivered_w,
                "deficiency_w": m.deficiency_w,
                "settled": m.settled,
            }
        return rows


# --- Views ---------------------------------------------------------------------------------


class HubListView(AggregatorView):
    @extend_schema(operation_id="grid_hubs_list", responses={200: GridHubSerializer(many=True)})
    def get(self, request: Request) -> Response:
        sites = Site.objects.filter(hub__in=self.aggregator.hubs.all()).select_related("hub")
        rows = [
            {
                "slug": s.hub.slug,
                "name": s.hub.name,
                "congestion_point": selectors.congestion_point(s),
                "time_zone": s.hub.time_zone,
            }
            for s in sites.order_by("hub__slug")
        ]
        return Response(GridHubSerializer(rows, many=True).data)


class BaselineView(AggregatorView):
    @extend_schema(
        operation_id="grid_hub_baseline",
        parameters=[OpenApiParameter("day", date, description="Local day; today if absent.")],
        responses={200: GridBaselineSerializer},
    )
    def get(self, request: Request, slug: str) -> Response:
        hub = self.hub(slug)
        query = GridDayQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data.get("day") or timezone.localtime(timezone.now(), hub.tz).date()
        baseline = selectors.baseline_day(hub=hub, period=day)
        up, down = selectors.flex_free(hub=hub, baseline=baseline, now=timezone.now())
        body = {
            "hub": hub.slug,
            "day": day,
            "isps": [
                {
                    "isp": i + 1,
                    "start": start,
                    "power_w": baseline.power_w[i],
                    "free_up_w": up[i],
                    "free_down_w": down[i],
                }
                for i, start in enumerate(baseline.starts)
            ],
        }
        return Response(GridBaselineSerializer(body).data)


class HubOffersView(AggregatorView):
    @extend_schema(
        operation_id="grid_hub_offers_request",
        request=GridOfferRequestSerializer,
        responses={201: GridOfferSerializer(many=True)},
        description="Ask for offers: a band of deviation per ISP (UFTP FlexRequest). Answers "
        "one offer per direction the plan can serve, or none.",
    )
    def post(self, request: Request, slug: str) -> Response:
        hub = self.hub(slug)
        data = GridOfferRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            offers = services.flex_offers_make(
                hub=hub,
                buyer=self.aggregator,
                period=data.validated_data["day"],
                isps=[
                    RequestedIsp(i["isp"], i["min_power_w"], i["max_power_w"])
                    for i in data.validated_data["isps"]
                ],
            )
        except Rejected as rejected:
            return Response({"detail": rejected.reason}, status=status.HTTP_400_BAD_REQUEST)
        return Response(GridOfferSerializer(offers, many=True).data, status=status.HTTP_201_CREATED)


class OfferListView(AggregatorView):
    @extend_schema(operation_id="grid_offers_list", responses={200: GridOfferSerializer(many=True)})
    def get(self, request: Request) -> Response:
        offers = selectors.open_offers_of(self.aggregator, now=timezone.now()).order_by(
            "expires_at"
        )
        return Response(GridOfferSerializer(offers[:200], many=True).data)


class OrderCreateView(AggregatorView):
    @extend_schema(
        operation_id="grid_orders_create",
        request=GridOrderCreateSerializer,
        responses={201: GridOrderSerializer, 200: GridOrderSerializer},
        description="Order (part of) an open offer: 201 the first time, 200 with the same "
        "answer for a retry with the same `message_id`; 400 with the UFTP reason otherwise.",
    )
    def post(self, request: Request) -> Response:
        data = GridOrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            outcome = services.flex_order_accept(
                buyer=self.aggregator,
                message_id=str(v["message_id"]),
                offer_message_id=str(v["offer"]),
                isps=[OrderedIsp(i["isp"], i["power_w"]) for i in v["isps"]],
                price_eur=v["price_eur"],
                source="api",
                order_reference=v["order_reference"],
            )
        except Rejected as rejected:
            code = (
                status.HTTP_409_CONFLICT
                if rejected.reason in {"Duplicate Identifier", "Offer already ordered"}
                else status.HTTP_400_BAD_REQUEST
            )
            return Response({"detail": rejected.reason}, status=code)
        return Response(
            GridOrderSerializer(outcome.order).data,
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )


class OrderDetailView(AggregatorView):
    @extend_schema(operation_id="grid_order_retrieve", responses={200: GridOrderSerializer})
    def get(self, request: Request, message_id: uuid.UUID) -> Response:
        order = selectors.orders_of(self.aggregator).filter(message_id=message_id).first()
        if order is None:
            raise Http404
        return Response(GridOrderSerializer(order).data)
