"""The booking page and what the household does with it: change the end, or cancel.

Reads go through ``sharing.access``: a booking the user may not read is a 404, one they may read
but not change is a 403. Each page previews what the service would do (the new price, the fee)
before the POST that does it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from sharing import access, rules, services
from sharing.forms import ChangeEndForm, apply_errors
from sharing.local_time import as_local_input
from sharing.models import Booking, BookingStatus
from sharing.selectors import cards
from sharing.views.common import request_user

CANCELLABLE = (BookingStatus.CONFIRMED, BookingStatus.BOUND)
CHANGEABLE = (BookingStatus.CONFIRMED, BookingStatus.BOUND, BookingStatus.ACTIVE)


def _booking(request: HttpRequest, pk: int) -> Booking:
    """The booking if the user may read it (their household's, or staff within their hubs)."""
    return access.booking_get_for_user(user=request_user(request), pk=pk)


def _booking_rw(request: HttpRequest, pk: int) -> Booking:
    """The booking if the user's household may change it; 404 or 403 otherwise."""
    return access.booking_get_rw_for_user(user=request_user(request), pk=pk)


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
    may_change = access.booking_may_change(user=request_user(request), booking=booking)
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
