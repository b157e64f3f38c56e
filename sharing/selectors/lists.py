"""Plain lists of the sharing app: hubs, cars, the calendar feed's bookings,
and a booking by its idempotency key; each with its ``select_related`` applied here.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from sharing.models import Booking, Hub, Vehicle, VehicleStatus


def hub_list() -> QuerySet[Hub]:
    return Hub.objects.order_by("name")


def vehicle_list(*, hub: Hub | None = None) -> QuerySet[Vehicle]:
    vehicles = Vehicle.objects.select_related("model", "hub", "home_bay").exclude(
        status=VehicleStatus.RETIRED
    )
    return vehicles.filter(hub=hub) if hub is not None else vehicles


def booking_by_idempotency_key(*, resident: User, key: str) -> Booking | None:
    return Booking.objects.filter(resident=resident, idempotency_key=key).first()


def calendar_bookings(*, resident: User) -> QuerySet[Booking]:
    since = timezone.now() - timedelta(days=90)
    return (
        Booking.objects.filter(resident=resident, end__gte=since)
        .select_related("hub", "vehicle__home_bay")
        .order_by("start")
    )
