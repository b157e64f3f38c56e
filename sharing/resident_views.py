"""More of the resident's pages: the monthly statement and the calendar feed's secret.

Thin adapters like ``sharing.views``: a form parses the query, a selector reads, a service
writes; every read is scoped to the resident's own household.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from sharing import access
from sharing.forms import PickUpForm, ReturnForm, apply_errors
from sharing.models import Booking, DamageReport
from sharing.services import trips
from sharing.services.calendar import calendar_token_renew
from sharing.statements import household_statement


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


class MonthForm(forms.Form):
    month = forms.CharField(
        label=gettext_lazy("Month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month"}),
    )

    def clean_month(self) -> date:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            today = timezone.localdate()
            return date(today.year, today.month, 1)
        try:
            year, month = (int(part) for part in value.split("-"))
            if not 2000 <= year <= 2999:
                raise ValueError
            return date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(_("Enter a month like 2026-11."), code="invalid") from None


@login_required
@require_GET
def statement(request: HttpRequest) -> HttpResponse:
    """The household's statement for ``?month=YYYY-MM`` (this month by default)."""
    form = MonthForm(request.GET)
    if not form.is_valid():
        return render(request, "sharing/statement.html", {"form": form}, status=400)
    month = form.cleaned_data["month"]
    context = {"form": form, "statement": household_statement(user=_user(request), month=month)}
    return render(request, "sharing/statement.html", context)


@login_required
@require_POST
def calendar_renew(request: HttpRequest) -> HttpResponse:
    calendar_token_renew(user=_user(request))
    messages.success(
        request,
        _(
            "Your calendar address is renewed. Subscribe to the new one; the old one no longer "
            "works."
        ),
    )
    return redirect("sharing:home")


# --- Pick-up and return by the resident ------------------------------------------------------


def _trip_page(
    request: HttpRequest, pk: int, *, form_class: type[forms.Form], template: str, act: Any
) -> HttpResponse:
    booking = access.booking_get_rw_for_user(user=_user(request), pk=pk)
    if request.method == "GET":
        return render(request, template, {"booking": booking, "form": form_class()})
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        upload = data.get("photo")
        try:
            act(booking, data, upload.read() if upload else None)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("sharing:booking-detail", pk=pk)
    return render(request, template, {"booking": booking, "form": form}, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def trip_start(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows the pick-up form; POST starts the trip (the car must be bound, and it must
    be no earlier than 15 minutes before the start)."""
    user = _user(request)

    def act(booking: Booking, data: dict[str, Any], photo: bytes | None) -> None:
        trips.trip_start(
            booking=booking,
            resident=user,
            odometer_km=data["odometer_km"],
            soc_percent=data["soc_percent"],
            damage=data["damage"],
            photo=photo,
        )
        messages.success(request, _("Have a good trip! Your car is unlocked for you."))

    return _trip_page(
        request, pk, form_class=PickUpForm, template="sharing/trip_start.html", act=act
    )


@login_required
@require_http_methods(["GET", "POST"])
def trip_end(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows the return form; POST ends the trip with the odometer and the charge."""
    user = _user(request)

    def act(booking: Booking, data: dict[str, Any], photo: bytes | None) -> None:
        trips.trip_end(
            booking=booking,
            resident=user,
            odometer_km=data["odometer_km"],
            soc_percent=data["soc_percent"],
            damage=data["damage"],
            photo=photo,
        )
        messages.success(request, _("Thank you: the car is back and your trip is closed."))

    return _trip_page(request, pk, form_class=ReturnForm, template="sharing/trip_end.html", act=act)


@login_required
@require_GET
def damage_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A damage report's photo, for the booking's household (and staff who may read it)."""
    readable = access.bookings_readable(user=_user(request))
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
