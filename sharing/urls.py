from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from sharing import views

app_name = "sharing"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking-detail"),
    path("bookings/<int:pk>/cancel/", views.booking_cancel, name="booking-cancel"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar"),
]
