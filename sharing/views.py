"""Resident pages of the sharing app (the full booking UI is another issue)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from icalendar import Calendar, Event

from accounts.models import User
from sharing import selectors, services
from sharing.models import BookingStatus


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "sharing/home.html")


@login_required
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)  # type: ignore[arg-type]
    return render(request, "sharing/booking_detail.html", {"booking": booking})


@login_required
@require_POST
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)  # type: ignore[arg-type]
    try:
        services.booking_cancel(booking=booking)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your booking is cancelled."))
    return redirect("sharing:booking-detail", pk=pk)


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A resident's bookings as iCalendar; the secret token in the URL is the only key."""
    resident = User.objects.filter(calendar_token=token, is_active=True).first()
    if resident is None:
        raise Http404("Unknown calendar")
    calendar = Calendar()
    calendar.add("prodid", "-//Wisselstroom//bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Wisselstroom")
    for booking in selectors.calendar_bookings(resident=resident):
        event = Event()
        event.add("uid", f"booking-{booking.pk}@wisselstroom")
        car = f" {booking.vehicle.plate}" if booking.vehicle else ""
        event.add("summary", f"{booking.hub.name}{car}")
        event.add("dtstart", booking.start)
        event.add("dtend", booking.end)
        event.add("dtstamp", booking.created_at)
        event.add("location", booking.hub.address or booking.hub.name)
        if booking.status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
            event.add("status", "CANCELLED")
        else:
            event.add("status", "CONFIRMED")
        calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
