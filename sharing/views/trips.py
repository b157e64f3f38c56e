"""Pick-up and return of the car by the resident, and the photos of the damage they report.

Both trip pages are the same form page (``sharing/trip.html``): the odometer, the charge and any
damage, with a photo; the service starts or ends the trip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from sharing import access
from sharing.forms import PickUpForm, ReturnForm, apply_errors
from sharing.models import DamageReport
from sharing.services import trips
from sharing.views.common import request_user

TEMPLATE = "sharing/trip.html"


def _trip_page(
    request: HttpRequest,
    pk: int,
    *,
    form_class: type[forms.Form],
    pick_up: bool,
    service: Callable[..., Any],
    done: str,
) -> HttpResponse:
    """The form page of both; a valid POST calls ``service`` (``trips.trip_start`` or
    ``trips.trip_end``) with what was typed and says ``done``."""
    user = request_user(request)
    booking = access.booking_get_rw_for_user(user=user, pk=pk)
    if request.method == "GET":
        context = {"booking": booking, "form": form_class(), "pick_up": pick_up}
        return render(request, TEMPLATE, context)
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        upload = data.get("photo")
        try:
            service(
                booking=booking,
                resident=user,
                odometer_km=data["odometer_km"],
                soc_percent=data["soc_percent"],
                damage=data["damage"],
                photo=upload.read() if upload else None,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("sharing:booking-detail", pk=pk)
    context = {"booking": booking, "form": form, "pick_up": pick_up}
    return render(request, TEMPLATE, context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def trip_start(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows the pick-up form; POST starts the trip (the car must be bound, and it must
    be no earlier than 15 minutes before the start)."""
    return _trip_page(
        request,
        pk,
        form_class=PickUpForm,
        pick_up=True,
        service=trips.trip_start,
        done=_("Have a good trip! Your car is unlocked for you."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def trip_end(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows the return form; POST ends the trip with the odometer and the charge."""
    return _trip_page(
        request,
        pk,
        form_class=ReturnForm,
        pick_up=False,
        service=trips.trip_end,
        done=_("Thank you: the car is back and your trip is closed."),
    )


@login_required
@require_GET
def damage_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A damage report's photo, for the booking's household (and staff who may read it)."""
    readable = access.bookings_readable(user=request_user(request))
    report = (
        DamageReport.objects.filter(pk=pk, booking__in=readable.values("pk"))
        .exclude(photo=None)
        .first()
    )
    if report is None:
        raise Http404("No such photo")
    photo = report.photo
    assert photo is not None
    response = HttpResponse(bytes(photo), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
