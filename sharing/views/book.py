"""The Book page: check a window (in place with htmx) and book it.

An untouched form starts at the resident's usual window, checked; a window that is not free
offers the nearby windows that are and the free hours of its day, each a link that fills the
form. A form parses what was typed in the hub's local time, a selector reads, one service books.
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
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts.models import User
from sharing import services
from sharing.forms import BookingForm, apply_errors
from sharing.local_time import as_local_input
from sharing.models import Hub
from sharing.selectors import book as book_selectors
from sharing.selectors import lists
from sharing.views.common import HtmxHttpRequest, request_user


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
    answer = _check(form, request_user(request)) if form.is_valid() else None
    return render(request, template_name, _book_context(form, answer))


def _book_default(request: HtmxHttpRequest, template_name: str) -> HttpResponse:
    hub = lists.hub_list().filter(slug=request.GET.get("hub", "")).first()
    hub = hub or lists.hub_list().first()
    if hub is None:
        return render(request, template_name, _book_context(BookingForm(), None))
    default = book_selectors.default_window(resident=request_user(request), hub=hub)
    form = BookingForm(
        {
            "hub": hub.slug,
            "start": as_local_input(default.start, hub.tz),
            "end": as_local_input(default.end, hub.tz),
            "range_km": default.range_km,
        }
    )
    answer = _check(form, request_user(request)) if form.is_valid() else None
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
                resident=request_user(request),
                hub=data["hub"],
                start=data["start"],
                end=data["end"],
                promised_range_km=data["range_km"],
                idempotency_key=data["idempotency_key"] or None,
            )
        except services.BookingUnavailable as exc:
            status, notice = 409, exc.message
            # Someone was quicker: offer what is still free around that time.
            answer = _check(form, request_user(request))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Booked! Your car will be waiting for you."))
            return redirect("sharing:booking-detail", pk=booking.pk)
    context = _book_context(form, answer)
    context["notice"] = notice
    return render(request, "sharing/book.html", context, status=status)
