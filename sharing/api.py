"""REST API of the sharing app: serializers parse and validate, services do the work."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sharing import access, services
from sharing.local_time import check_year, localize
from sharing.models import Booking, Hub, Vehicle
from sharing.selectors import book as book_selectors
from sharing.selectors import lists


def parse_moment(value: str, tz: ZoneInfo) -> datetime:
    """ISO 8601; without an offset it is the hub's local time, refused if that does not exist or
    happens twice (clock changes)."""
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise serializers.ValidationError(_("Use a date and time like 2026-05-01T10:00+02:00."))
    try:
        if timezone.is_aware(moment):
            check_year(moment)
            return moment
        return localize(moment, tz, offset_allowed=True)
    except ValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


class HubSerializer(serializers.ModelSerializer[Hub]):
    class Meta:
        model = Hub
        fields = [
            "slug",
            "name",
            "address",
            "latitude",
            "longitude",
            "time_zone",
            "slot_minutes",
            "min_booking_minutes",
            "max_booking_hours",
            "max_days_ahead",
            "hourly_rate",
            "day_rate",
            "per_km_rate",
            "free_cancel_hours_before",
            "late_cancel_fee",
            "no_show_fee",
        ]


class VehicleSerializer(serializers.ModelSerializer[Vehicle]):
    hub: serializers.SlugRelatedField[Hub] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    model = serializers.CharField(source="model.__str__", read_only=True)
    bay = serializers.CharField(
        source="home_bay.label", default=None, allow_null=True, read_only=True
    )
    usable_battery_kwh = serializers.DecimalField(
        source="model.usable_battery_kwh", max_digits=6, decimal_places=2, read_only=True
    )

    class Meta:
        model = Vehicle
        fields = ["id", "plate", "hub", "model", "bay", "status", "usable_battery_kwh"]


class BookingSerializer(serializers.ModelSerializer[Booking]):
    hub: serializers.SlugRelatedField[Hub] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    # No car before it is bound to one (and no bay for a car without a home bay).
    vehicle = serializers.CharField(
        source="vehicle.plate", default=None, allow_null=True, read_only=True
    )
    bay = serializers.CharField(
        source="vehicle.home_bay.label", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = Booking
        fields = [
            "id",
            "hub",
            "start",
            "end",
            "status",
            "promised_range_km",
            "expected_km",
            "vehicle",
            "bay",
            "price_estimate",
            "fee",
            "created_at",
            "cancelled_at",
            "late_since",
        ]
        read_only_fields = fields


class WindowInputMixin(serializers.Serializer[Any]):
    hub: serializers.SlugRelatedField[Hub] = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Hub.objects.all(),
        error_messages={"does_not_exist": _("Unknown hub “{value}”.")},
    )
    start = serializers.CharField()
    end = serializers.CharField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        tz = attrs["hub"].tz
        errors: dict[str, list[str]] = {}
        for name in ("start", "end"):
            try:
                attrs[name] = parse_moment(attrs[name], tz)
            except serializers.ValidationError as exc:
                errors[name] = [str(m) for m in exc.detail]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class BookingCreateSerializer(WindowInputMixin):
    promised_range_km = serializers.IntegerField(min_value=0)
    expected_km = serializers.IntegerField(min_value=0, required=False)


class AvailabilityQuerySerializer(WindowInputMixin):
    range_km = serializers.IntegerField(min_value=0, required=False)


class NewEndSerializer(serializers.Serializer[Any]):
    end = serializers.CharField()


class WindowSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    max_range_km = serializers.IntegerField()
    price_estimate = serializers.DecimalField(max_digits=9, decimal_places=2)


class AvailabilitySerializer(serializers.Serializer[Any]):
    # The hub's slug (a plain string in the schema: this serializer has no model to derive from).
    hub = serializers.CharField(source="hub.slug", read_only=True)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    range_km = serializers.IntegerField(allow_null=True)
    available = serializers.BooleanField()
    max_range_km = serializers.IntegerField(allow_null=True)
    price_estimate = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    suggestions = WindowSerializer(many=True)


class ConflictSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()


def conflict(exc: services.BookingUnavailable) -> Response:
    return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)


class HubViewSet(viewsets.ReadOnlyModelViewSet[Hub]):
    serializer_class = HubSerializer
    lookup_field = "slug"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return lists.hub_list()


class VehicleViewSet(viewsets.ReadOnlyModelViewSet[Vehicle]):
    serializer_class = VehicleSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return lists.vehicle_list()


class AvailabilityView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("hub", OpenApiTypes.STR, required=True, description="hub slug"),
            OpenApiParameter("start", OpenApiTypes.DATETIME, required=True),
            OpenApiParameter("end", OpenApiTypes.DATETIME, required=True),
            OpenApiParameter("range_km", OpenApiTypes.INT, required=False),
        ],
        responses={200: AvailabilitySerializer},
        summary="Is a car free for this window, and with how much range?",
        description=(
            "Applies every rule a booking applies, the household's fair use included: a rule "
            "that would refuse the booking is a 400 naming it."
        ),
    )
    def get(self, request: Request) -> Response:
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        # The rules about who books (address, licence, the household's fair use) apply here
        # too, so "available" is never followed by a refusal of the booking: a broken one is a
        # 400 naming it, as the booking would answer.
        answer = book_selectors.availability(
            hub=data["hub"],
            start=data["start"],
            end=data["end"],
            range_km=data.get("range_km"),
            resident=request.user,  # type: ignore[arg-type]
        )
        return Response(AvailabilitySerializer(answer).data)


class BookingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Booking],
):
    serializer_class = BookingSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return access.bookings_readable(user=self.request.user)  # type: ignore[arg-type]

    def get_object_rw(self) -> Booking:
        """The booking of the URL if the user's household may change it: 404 when the user may
        not read it, 403 when they may read but not change it (staff use the admin)."""
        pk = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            raise Http404("No such booking") from None
        return access.booking_get_rw_for_user(user=self.request.user, pk=pk)  # type: ignore[arg-type]

    @extend_schema(
        request=BookingCreateSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="A retried submit with the same key returns the same booking.",
            )
        ],
        responses={
            201: BookingSerializer,
            200: OpenApiResponse(BookingSerializer, description="replayed by Idempotency-Key"),
            409: ConflictSerializer,
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = (request.headers.get("Idempotency-Key") or "").strip()[:100] or None
        user = request.user
        if key:
            earlier = lists.booking_by_idempotency_key(resident=user, key=key)  # type: ignore[arg-type]
            if earlier is not None:
                return Response(BookingSerializer(earlier).data, status=status.HTTP_200_OK)
        form = BookingCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            booking = services.booking_create(
                resident=user,  # type: ignore[arg-type]
                hub=data["hub"],
                start=data["start"],
                end=data["end"],
                promised_range_km=data["promised_range_km"],
                expected_km=data.get("expected_km"),
                idempotency_key=key,
            )
        except services.BookingUnavailable as exc:
            return conflict(exc)
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)

    def _change_end(self, request: Request, *, longer: bool) -> Response:
        booking = self.get_object_rw()
        form = NewEndSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            end = parse_moment(form.validated_data["end"], booking.hub.tz)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"end": exc.detail}) from None
        if longer and end <= booking.end:
            raise serializers.ValidationError({"end": [_("To extend, pick a later end.")]})
        if not longer and end >= booking.end:
            raise serializers.ValidationError({"end": [_("To shorten, pick an earlier end.")]})
        try:
            booking = services.booking_change_end(booking=booking, end=end)
        except services.BookingUnavailable as exc:
            return conflict(exc)
        return Response(BookingSerializer(booking).data)

    @extend_schema(
        request=NewEndSerializer, responses={200: BookingSerializer, 409: ConflictSerializer}
    )
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str | None = None) -> Response:
        return self._change_end(request, longer=True)

    @extend_schema(request=NewEndSerializer, responses={200: BookingSerializer})
    @action(detail=True, methods=["post"])
    def shorten(self, request: Request, pk: str | None = None) -> Response:
        return self._change_end(request, longer=False)

    @extend_schema(request=None, responses={200: BookingSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        booking = services.booking_cancel(booking=self.get_object_rw())
        return Response(BookingSerializer(booking).data)
