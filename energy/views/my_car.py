"""My car: the resident's own cars, what they fed back and earned, and registering or editing a
car.

Another resident's car does not exist, as far as this resident can tell (404).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from energy import rules, selectors
from energy.forms import PrivateCarForm
from energy.models import PrivateCar
from energy.services import private_cars as services
from sharing.forms import apply_errors
from sharing.views.common import request_user


def own_car(request: HttpRequest, pk: int) -> PrivateCar:
    """Another resident's car does not exist, as far as this resident can tell."""
    return get_object_or_404(PrivateCar, pk=pk, owner=request_user(request))


@login_required
@require_GET
def my_car(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    return render(
        request,
        "energy/my_car.html",
        {
            "cars": selectors.private_cars_of(user=user),
            "history": selectors.fed_back_history(user=user),
            "earnings": selectors.feed_back_earnings(user=user),
            "consent_given": rules.feed_back_consent_given(user=user),
        },
    )


def _car_values(form: PrivateCarForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "plate": data["plate"],
        "battery_kwh": data["battery_kwh"],
        "max_charge_kw": data["max_charge_kw"],
        "max_discharge_kw": data["max_discharge_kw"],
        "may_feed_back": data["may_feed_back"],
        "floor_kwh": data["floor_kwh"],
        "grant_feed_back_consent": form.grant_consent,
    }


@login_required
@require_http_methods(["GET", "POST"])
def car_register(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    consent = rules.feed_back_consent_given(user=user)
    form = PrivateCarForm(request.POST or None, consent_given=consent)
    if request.method == "POST" and form.is_valid():
        try:
            car = services.private_car_register(owner=user, **_car_values(form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("%(plate)s is registered.") % {"plate": car.plate})
            return redirect("energy:my_car")
    return render(request, "energy/car_form.html", {"form": form, "car": None})


@login_required
@require_http_methods(["GET", "POST"])
def car_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    car = own_car(request, pk)
    consent = rules.feed_back_consent_given(user=user)
    initial = {
        "plate": car.plate,
        "battery_kwh": car.battery_kwh,
        "max_charge_kw": car.max_charge_kw,
        "max_discharge_kw": car.max_discharge_kw,
        "may_feed_back": car.may_feed_back,
        "floor_kwh": car.floor_kwh,
    }
    form = PrivateCarForm(request.POST or None, initial=initial, consent_given=consent)
    if request.method == "POST" and form.is_valid():
        try:
            services.private_car_update(car=car, by=user, **_car_values(form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your car's details are saved."))
            return redirect("energy:my_car")
    return render(request, "energy/car_form.html", {"form": form, "car": car})
