from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from sharing.views import book, bookings, calendar, cars, history, home, trips

app_name = "sharing"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", home.home, name="home"),
    path("book/", book.book, name="book"),
    path("history/", history.history, name="history"),
    path("bookings/<int:pk>/", bookings.booking_detail, name="booking-detail"),
    path("bookings/<int:pk>/change-end/", bookings.booking_change_end, name="booking-change-end"),
    path("bookings/<int:pk>/cancel/", bookings.booking_cancel, name="booking-cancel"),
    path("calendar/<str:token>.ics", calendar.calendar_feed, name="calendar"),
    path("calendar/renew/", calendar.calendar_renew, name="calendar-renew"),
    path("statement/", history.statement, name="statement"),
    path("bookings/<int:pk>/pick-up/", trips.trip_start, name="trip-start"),
    path("bookings/<int:pk>/return/", trips.trip_end, name="trip-end"),
    path("damage/<int:pk>/photo.jpg", trips.damage_photo, name="damage-photo"),
    path("cars/<int:pk>/photo.jpg", cars.car_photo, name="car-photo"),
]
