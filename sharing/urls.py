from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from sharing import resident_views, views

app_name = "sharing"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("book/", views.book, name="book"),
    path("history/", views.history, name="history"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking-detail"),
    path("bookings/<int:pk>/change-end/", views.booking_change_end, name="booking-change-end"),
    path("bookings/<int:pk>/cancel/", views.booking_cancel, name="booking-cancel"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar"),
    path("calendar/renew/", resident_views.calendar_renew, name="calendar-renew"),
    path("statement/", resident_views.statement, name="statement"),
    path("bookings/<int:pk>/pick-up/", resident_views.trip_start, name="trip-start"),
    path("bookings/<int:pk>/return/", resident_views.trip_end, name="trip-end"),
    path("damage/<int:pk>/photo.jpg", resident_views.damage_photo, name="damage-photo"),
]
