from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from sharing import api

router = SimpleRouter()
router.register("hubs", api.HubViewSet, basename="api-hub")
router.register("vehicles", api.VehicleViewSet, basename="api-vehicle")
router.register("bookings", api.BookingViewSet, basename="api-booking")

urlpatterns: list[URLPattern | URLResolver] = [
    path("availability/", api.AvailabilityView.as_view(), name="api-availability"),
    *router.urls,
]
