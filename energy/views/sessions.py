"""A plugged-in car's charging session: plug in, the plan, the settings (departure, charge
wanted, feeding back and its floor), charge now, and unplug.

The resident's own sessions only (404 for everyone else, staff included); htmx saves the
settings in place (the named partial ``#session-card``), and every form also works as a plain
POST.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from energy import rules, selectors
from energy.forms import FloorPercentForm, SessionSettingsForm, SessionStartForm
from energy.models import ChargingSession, SessionStatus
from energy.services import charging_sessions
from energy.views.dashboard import chart_text
from energy.views.my_car import own_car
from sharing.forms import apply_errors
from sharing.views.common import HtmxHttpRequest, request_user

HTMX_ERROR_STATUS = 422


def _own_session(request: HttpRequest, pk: int) -> ChargingSession:
    return get_object_or_404(
        ChargingSession.objects.select_related("car", "bay__hub__site"),
        pk=pk,
        car__owner=request_user(request),
    )


def _default_departure() -> str:
    local = timezone.localtime() + timedelta(hours=12)
    return local.replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


@login_required
@require_http_methods(["GET", "POST"])
def session_start(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    car = own_car(request, pk)
    active = ChargingSession.objects.filter(car=car, status=SessionStatus.ACTIVE).first()
    if active is not None:
        return redirect("energy:session_detail", pk=active.pk)
    consent = rules.feed_back_consent_given(user=user)
    initial = {
        "departure_at": _default_departure(),
        "target_soc_kwh": car.battery_kwh * 8 / 10,
        "feed_back_floor_kwh": max(car.floor_kwh, car.battery_kwh * 4 / 10),
        "allow_feed_back": car.may_feed_back and consent,
    }
    form = SessionStartForm(request.POST or None, initial=initial, consent_given=consent)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = charging_sessions.charging_session_start(
                car=car,
                by=user,
                bay=data["bay"],
                initial_soc_kwh=data["initial_soc_kwh"],
                departure_at=data["departure_at"],
                target_soc_kwh=data["target_soc_kwh"],
                allow_feed_back=data["allow_feed_back"],
                feed_back_floor_kwh=data["feed_back_floor_kwh"],
                grant_feed_back_consent=form.grant_consent,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("Plugged in at %(bay)s. The plan follows.") % {"bay": session.bay.label}
            )
            return redirect("energy:session_detail", pk=session.pk)
    return render(request, "energy/session_start.html", {"form": form, "car": car})


def _session_context(session: ChargingSession, form: SessionSettingsForm) -> dict[str, Any]:
    plan = selectors.session_plan(session=session)
    car = session.car
    estimate = None
    if car.may_feed_back and session.status == SessionStatus.ACTIVE:
        soc = session.initial_soc_kwh
        if plan:
            soc = type(soc)(repr(round(plan[0].soc_kwh, 3)))
        estimate = selectors.feed_back_estimate(
            hub=session.bay.hub,
            start=max(timezone.now(), session.plugged_in_at),
            end=session.departure_at,
            discharge_kw=car.max_discharge_kw,
            soc_kwh=soc,
            floor_kwh=max(session.feed_back_floor_kwh, car.floor_kwh),
        )
    return {
        "session": session,
        "car": car,
        "form": form,
        "plan": plan,
        "plan_data": {
            "labels": [date_format(timezone.localtime(p.start), "D H:i") for p in plan],
            "power_kw": [p.power_kw for p in plan],
            "soc_kwh": [p.soc_kwh for p in plan],
            "battery_kwh": float(car.battery_kwh),
            "text": chart_text(),
        },
        "estimate": estimate,
        "is_active": session.status == SessionStatus.ACTIVE,
        "boost": selectors.session_boost(session=session),
        "live": selectors.session_live(session=session, plan=plan),
        "floor_form": FloorPercentForm(
            initial={
                "floor_percent": round(
                    100 * max(session.feed_back_floor_kwh, car.floor_kwh) / car.battery_kwh
                )
            }
        ),
    }


def _session_form_initial(session: ChargingSession) -> dict[str, Any]:
    return {
        "departure_at": timezone.localtime(session.departure_at).strftime("%Y-%m-%dT%H:%M"),
        "target_soc_kwh": session.target_soc_kwh,
        "allow_feed_back": session.allow_feed_back,
        "feed_back_floor_kwh": session.feed_back_floor_kwh or session.car.floor_kwh,
    }


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def session_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The plugged-in car's plan; POST changes departure, charge wanted and feeding back."""
    user = request_user(request)
    session = _own_session(request, pk)
    consent = rules.feed_back_consent_given(user=user)
    template_name = "energy/session_detail.html"
    if request.method == "POST":
        form = SessionSettingsForm(request.POST, consent_given=consent)
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = charging_sessions.charging_session_update(
                    session=session,
                    by=user,
                    departure_at=data["departure_at"],
                    target_soc_kwh=data["target_soc_kwh"],
                    allow_feed_back=data["allow_feed_back"],
                    feed_back_floor_kwh=data["feed_back_floor_kwh"],
                    grant_feed_back_consent=form.grant_consent,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
        if form.is_valid() and not form.errors:
            if not request.htmx:
                messages.success(request, _("Saved. The plan is being updated."))
                return redirect("energy:session_detail", pk=session.pk)
            consent = rules.feed_back_consent_given(user=user)
            form = SessionSettingsForm(
                initial=_session_form_initial(session), consent_given=consent
            )
            context = _session_context(session, form)
            context["saved"] = True
            return render(request, template_name + "#session-card", context)
        status = HTMX_ERROR_STATUS if request.htmx else 200
        if request.htmx:
            template_name += "#session-card"
        session.refresh_from_db()
        return render(request, template_name, _session_context(session, form), status=status)
    form = SessionSettingsForm(initial=_session_form_initial(session), consent_given=consent)
    if request.htmx:
        template_name += "#session-card"
    return render(request, template_name, _session_context(session, form))


@login_required
@require_POST
def session_floor(request: HttpRequest, pk: int) -> HttpResponse:
    """POST ``floor_percent``: "never below X %" for the plugged-in car, kept as kWh of its
    battery; the other settings stay as they are."""
    user = request_user(request)
    session = _own_session(request, pk)
    form = FloorPercentForm(request.POST)
    if form.is_valid():
        battery = session.car.battery_kwh
        floor = (battery * form.cleaned_data["floor_percent"] / 100).quantize(Decimal("0.1"))
        try:
            charging_sessions.charging_session_update(
                session=session,
                by=user,
                departure_at=session.departure_at,
                target_soc_kwh=session.target_soc_kwh,
                allow_feed_back=session.allow_feed_back,
                feed_back_floor_kwh=floor,
            )
        except ValidationError as exc:
            for messages_ in exc.message_dict.values():
                for message in messages_:
                    form.add_error("floor_percent", message)
        else:
            messages.success(
                request,
                _("Your car is never fed back below %(percent)s %% (%(kwh)s kWh).")
                % {"percent": form.cleaned_data["floor_percent"], "kwh": floor},
            )
            return redirect("energy:session_detail", pk=session.pk)
    consent = rules.feed_back_consent_given(user=user)
    settings_form = SessionSettingsForm(
        initial=_session_form_initial(session), consent_given=consent
    )
    context = _session_context(session, settings_form)
    context["floor_form"] = form
    return render(request, "energy/session_detail.html", context, status=400)


@login_required
@require_POST
def session_end(request: HttpRequest, pk: int) -> HttpResponse:
    session = _own_session(request, pk)
    session = charging_sessions.charging_session_end(session=session, by=request_user(request))
    messages.success(request, _("Unplugged. Have a good trip."))
    return redirect("energy:my_car")


def _session_error(
    request: HttpRequest, session: ChargingSession, exc: ValidationError
) -> HttpResponse:
    """A boost the session cannot take (unplugged, already charged): the page with the reason."""
    user = request_user(request)
    consent = rules.feed_back_consent_given(user=user)
    form = SessionSettingsForm(initial=_session_form_initial(session), consent_given=consent)
    context = _session_context(session, form)
    context["boost_errors"] = exc.messages
    return render(request, "energy/session_detail.html", context, status=400)


@login_required
@require_POST
def session_boost(request: HttpRequest, pk: int) -> HttpResponse:
    """Charge now: the resident's own session only (404 for everyone else, staff included)."""
    session = _own_session(request, pk)
    try:
        charging_sessions.charging_session_boost(session=session, by=request_user(request))
    except ValidationError as exc:
        return _session_error(request, session, exc)
    messages.success(request, _("Charging now at full power. The plan is being updated."))
    return redirect("energy:session_detail", pk=session.pk)


@login_required
@require_POST
def session_boost_end(request: HttpRequest, pk: int) -> HttpResponse:
    session = _own_session(request, pk)
    try:
        charging_sessions.charging_session_boost_end(session=session, by=request_user(request))
    except ValidationError as exc:
        return _session_error(request, session, exc)
    messages.success(request, _("Back to the cheapest charging that keeps your departure."))
    return redirect("energy:session_detail", pk=session.pk)
