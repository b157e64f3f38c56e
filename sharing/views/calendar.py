"""The resident's calendar feed (iCalendar, its secret token in the URL the only key) and the
renewal of that secret."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from icalendar import Calendar, Event

from accounts.models import User
from sharing.models import BookingStatus
from sharing.selectors import lists
from sharing.services.calendar import calendar_token_renew
from sharing.views.common import request_user


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A resident's bookings as iCalendar; the secret token in the URL is the only key."""
    resident = User.objects.filter(calendar_token=token, is_active=True).first()
    if resident is None:
        raise Http404("Unknown calendar")
    calendar = Calendar()
    calendar.add("prodid", "-//Wisselstroom//bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Wisselstroom")
    for booking in lists.calendar_bookings(resident=resident):
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


@login_required
@require_POST
def calendar_renew(request: HttpRequest) -> HttpResponse:
    calendar_token_renew(user=request_user(request))
    messages.success(
        request,
        _(
            "Your calendar address is renewed. Subscribe to the new one; the old one no longer "
            "works."
        ),
    )
    return redirect("sharing:home")
