"""The resident's booking pages: home, book, booking detail (change end, cancel) and history.

Thin adapters: a form parses what was typed in the hub's local time, a selector reads, one
service writes. htmx requests get a named partial of the same template; every page and form
also works as plain GET/POST without JavaScript.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails
from icalendar import Calendar, Event

from accounts.models import User
from sharing import access, page_figures, rules, services
from sharing.forms import BookingForm, ChangeEndForm, apply_errors, as_local_input
from sharing.models import Booking, BookingStatus, Hub
from sharing.selectors import book as book_selectors
from sharing.selectors import cards, lists
from sharing.selectors import history as history_selectors

CANCELLABLE = (BookingStatus.CONFIRMED, BookingStatus.BOUND)
CHANGEABLE = (BookingStatus.CONFIRMED, BookingStatus.BOUND, BookingStatus.ACTIVE)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _booking(request: HttpRequest, pk: int) -> Booking:
    """The booking if the user may read it (their household's, or staff within their hubs)."""
    return access.booking_get_for_user(user=_user(request), pk=pk)


def _booking_rw(request: HttpRequest, pk: int) -> Booking:
    """The booking if the user's household may change it; 404 or 403 otherwise."""
    return access.booking_get_rw_for_user(user=_user(request), pk=pk)


# --- Home ------------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "sharing/home.html")
    return render(
        request,
        "sharing/home.html",
        {"cards": cards.upcoming_bookings(user=_user(request))},
    )


# --- Book ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    start: datetime
    end: datetime
    max_range_km: int
    price_estimate: Decimal
    url: str


def _query(hub: Hub, start: datetime, end: datetime, range_km: int | None) -> str:
    params = {
        "hub": hub.slug,
        "start": as_local_input(start, hub.tz),
        "end": as_local_input(end, hub.tz),
        "range_km": "" if range_km is None else str(range_km),
    }
    return f"{reverse('sharing:book')}?{urlencode(params)}"


def _check(form: BookingForm, resident: User) -> book_selectors.Availability | None:
    """Availability of the window in a valid form for this resident, with every rule the booking
    applies (fair use included); rule breaks become the form's errors."""
    data = form.cleaned_data
    try:
        return book_selectors.availability(
            hub=data["hub"],
            start=data["start"],
            end=data["end"],
            range_km=data["range_km"],
            resident=resident,
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return None


def _book_context(form: BookingForm, answer: book_selectors.Availability | None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "form": form,
        "answer": answer,
        "idempotency_key": uuid.uuid4().hex,
        "suggestions": [],
        # "Correct the fields marked above" only when a field is marked.
        "fields_marked": any(field.errors for field in form.visible_fields()),
    }
    if answer is not None:
        hub = answer.hub
        context["checked"] = {
            "hub": hub.slug,
            "start": as_local_input(answer.start, hub.tz),
            "end": as_local_input(answer.end, hub.tz),
            "range_km": answer.range_km,
        }
        context["suggestions"] = [
            Suggestion(
                start=w.start,
                end=w.end,
                max_range_km=w.max_range_km,
                price_estimate=w.price_estimate,
                url=_query(hub, w.start, w.end, answer.range_km),
            )
            for w in answer.suggestions
        ]
        context.update(_strip_context(answer))
    return context


@dataclass(frozen=True)
class StripLink:
    cell: book_selectors.StripCell
    url: str


def _shift_days(moment: datetime, hub: Hub, days: int) -> datetime:
    """The same wall-clock time ``days`` later in the hub's zone."""
    return moment.astimezone(hub.tz) + timedelta(days=days)


def _strip_context(answer: book_selectors.Availability) -> dict[str, Any]:
    """The free hours of the checked day, each a link that fills the form; and the days around."""
    hub, km = answer.hub, answer.range_km or 0
    length = answer.end - answer.start
    strip = book_selectors.day_strip(
        hub=hub, day=answer.start.astimezone(hub.tz).date(), length=length, range_km=km
    )
    day_link = {
        shift: _query(
            hub,
            _shift_days(answer.start, hub, shift),
            _shift_days(answer.end, hub, shift),
            answer.range_km,
        )
        for shift in (-1, 1)
    }
    today = timezone.localdate(timezone.now(), hub.tz)
    return {
        "strip": strip,
        "strip_links": [
            StripLink(c, _query(hub, c.start, c.end, answer.range_km)) for c in strip.cells
        ],
        "strip_previous": day_link[-1] if strip.day > today else None,
        "strip_next": day_link[1],
        "strip_hours": length.total_seconds() / 3600,
    }


WINDOW_FIELDS = ("start", "end", "range_km")


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def book(request: HtmxHttpRequest) -> HttpResponse:
    """GET with the fields checks availability (in place with htmx); POST books."""
    if request.method == "POST":
        return _book_post(request)
    template_name = "sharing/book.html"
    if request.htmx:
        template_name += "#check"
    typed = any(request.GET.get(name) for name in WINDOW_FIELDS)
    complete = all(request.GET.get(name) for name in WINDOW_FIELDS)
    if not typed and not request.htmx:
        # An untouched form starts at the resident's usual window (or the next hour), checked.
        return _book_default(request, template_name)
    if not typed or (request.htmx and not complete):
        # Nothing (or, while typing, not everything) filled in yet: no errors to shout about.
        form = BookingForm(initial={k: v for k, v in request.GET.items() if v})
        return render(request, template_name, _book_context(form, None))
    form = BookingForm(request.GET)
    answer = _check(form, _user(request)) if form.is_valid() else None
    return render(request, template_name, _book_context(form, answer))


def _book_default(request: HtmxHttpRequest, template_name: str) -> HttpResponse:
    hub = lists.hub_list().filter(slug=request.GET.get("hub", "")).first()
    hub = hub or lists.hub_list().first()
    if hub is None:
        return render(request, template_name, _book_context(BookingForm(), None))
    default = book_selectors.default_window(resident=_user(request), hub=hub)
    form = BookingForm(
        {
            "hub": hub.slug,
            "start": as_local_input(default.start, hub.tz),
            "end": as_local_input(default.end, hub.tz),
            "range_km": default.range_km,
        }
    )
    answer = _check(form, _user(request)) if form.is_valid() else None
    context = _book_context(form, answer)
    context["default_window"] = default
    return render(request, template_name, context)


def _book_post(request: HtmxHttpRequest) -> HttpResponse:
    form = BookingForm(request.POST)
    status = 400
    notice = None
    answer = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            booking = services.booking_create(
                resident=_user(request),
                hub=data["hub"],
                start=data["start"],
                end=data["end"],
                promised_range_km=data["range_km"],
                idempotency_key=data["idempotency_key"] or None,
            )
        except services.BookingUnavailable as exc:
            status, notice = 409, exc.message
            # Someone was quicker: offer what is still free around that time.
            answer = _check(form, _user(request))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Booked! Your car will be waiting for you."))
            return redirect("sharing:booking-detail", pk=booking.pk)
    context = _book_context(form, answer)
    context["notice"] = notice
    return render(request, "sharing/book.html", context, status=status)


# --- Booking detail, change end, cancel ------------------------------------------------------


def _detail_context(booking: Booking, *, may_change: bool, **extra: Any) -> dict[str, Any]:
    now = timezone.now()
    context: dict[str, Any] = {
        "booking": booking,
        "card": cards.card(booking),
        "can_cancel": may_change and booking.status in CANCELLABLE,
        "can_change": may_change and booking.status in CHANGEABLE and booking.end > now,
        # Pick-up of a bound car and return of one on the road, by its household.
        "can_trip": may_change and booking.status in (BookingStatus.BOUND, BookingStatus.ACTIVE),
        "cancel_fee": rules.cancel_fee(hub=booking.hub, start=booking.start, now=now),
    }
    if "end_form" not in extra:
        context["end_form"] = ChangeEndForm(
            initial={"end": as_local_input(booking.end, booking.hub.tz)}, booking=booking
        )
    context.update(extra)
    return context


@login_required
@require_GET
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk)
    may_change = access.booking_may_change(user=_user(request), booking=booking)
    return render(
        request, "sharing/booking_detail.html", _detail_context(booking, may_change=may_change)
    )


@login_required
@require_http_methods(["GET", "POST"])
def booking_change_end(request: HttpRequest, pk: int) -> HttpResponse:
    """GET ``?end=`` shows the new end and price before confirming; POST changes it."""
    booking = _booking_rw(request, pk)
    if booking.status not in CHANGEABLE:
        messages.error(request, _("This booking can no longer be changed."))
        return redirect("sharing:booking-detail", pk=pk)
    tz = booking.hub.tz
    data = request.POST if request.method == "POST" else request.GET
    if "end" not in data:
        return redirect("sharing:booking-detail", pk=pk)
    form = ChangeEndForm(data, booking=booking)
    status, notice = 200, None
    if form.is_valid() and request.method == "POST":
        try:
            services.booking_change_end(booking=booking, end=form.cleaned_data["end"])
        except services.BookingUnavailable as exc:
            status, notice = 409, exc.message
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The end of your booking is changed."))
            return redirect("sharing:booking-detail", pk=pk)
    if form.errors:
        status = 400
    context: dict[str, Any] = {"booking": booking, "form": form, "notice": notice}
    if not form.errors:
        new_end = form.cleaned_data["end"]
        context.update(
            new_end=new_end,
            new_end_input=as_local_input(new_end, tz),
            longer=new_end > booking.end,
            new_price=rules.price_estimate(
                hub=booking.hub, start=booking.start, end=new_end, expected_km=booking.expected_km
            ),
        )
    return render(request, "sharing/change_end.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows what cancelling costs (the policy's fee or none); POST cancels."""
    booking = _booking_rw(request, pk)
    if request.method == "GET":
        if booking.status not in CANCELLABLE:
            messages.error(request, _("Only a booking that has not started can be cancelled."))
            return redirect("sharing:booking-detail", pk=pk)
        fee = rules.cancel_fee(hub=booking.hub, start=booking.start, now=timezone.now())
        return render(request, "sharing/cancel.html", {"booking": booking, "fee": fee})
    try:
        booking = services.booking_cancel(booking=booking)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if booking.fee:
            messages.success(
                request,
                _("Your booking is cancelled. A late cancellation fee of € %(fee)s applies.")
                % {"fee": formats.number_format(booking.fee, 2)},
            )
        else:
            messages.success(request, _("Your booking is cancelled, free of charge."))
    return redirect("sharing:booking-detail", pk=pk)


# --- History ---------------------------------------------------------------------------------


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "sharing/history.html",
        {
            "history": history_selectors.history(user=user),
            "figures": page_figures.figures(page="history", user=user),
        },
    )


# --- Calendar feed ---------------------------------------------------------------------------


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
