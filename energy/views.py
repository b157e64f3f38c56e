"""Residents' energy pages: the hub dashboard and "My car". Thin adapters over forms,
selectors and ``energy.services.private_cars``; htmx requests get the named partial of the
same template, and every form also works as a plain POST."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from accounts.models import User
from energy import selectors
from energy.forms import FloorPercentForm, PrivateCarForm, SessionSettingsForm, SessionStartForm
from energy.models import ChargingSession, PrivateCar, SessionStatus
from energy.services import charging_sessions
from energy.services import private_cars as services
from sharing.models import Hub

HTMX_ERROR_STATUS = 422


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _own_car(request: HttpRequest, pk: int) -> PrivateCar:
    """Another resident's car does not exist, as far as this resident can tell."""
    return get_object_or_404(PrivateCar, pk=pk, owner=_user(request))


def _own_session(request: HttpRequest, pk: int) -> ChargingSession:
    return get_object_or_404(
        ChargingSession.objects.select_related("car", "bay__hub__site"),
        pk=pk,
        car__owner=_user(request),
    )


def _apply_errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- Hub dashboard -------------------------------------------------------------------------


@login_required
@require_GET
def hub_index(request: HttpRequest) -> HttpResponse:
    hubs = list(selectors.hubs_visible())
    if len(hubs) == 1:
        return redirect("energy:hub_dashboard", slug=hubs[0].slug)
    return render(request, "energy/hub_index.html", {"hubs": hubs})


def _chart_text() -> dict[str, str]:
    return {
        "pv": _("Solar"),
        "homes": _("Homes"),
        "fleet": _("Fleet charging"),
        "grid": _("Grid import"),
        "limit": _("Connection limit"),
        "up": _("Flex up"),
        "down": _("Flex down"),
        "power": _("Charging power (kW)"),
        "soc": _("Charge (kWh)"),
        "battery": _("Battery size"),
        "measured": _("Fleet charging, measured"),
        "price": _("Day-ahead price (€/kWh)"),
        "carbon": _("Grid CO₂ (g/kWh)"),
    }


@login_required
@require_GET
@vary_on_headers("HX-Request")
def hub_dashboard(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    hub = get_object_or_404(Hub.objects.select_related("site"), slug=slug, site__isnull=False)
    board = selectors.hub_dashboard(hub=hub)
    shown = board.days[1] if request.GET.get("day") == "tomorrow" else board.days[0]
    context: dict[str, Any] = {
        "hub": hub,
        "board": board,
        "today": board.days[0],
        "tomorrow": board.days[1],
        "shown": shown,
        "rows": board.rows(shown),
        "chart_data": {**board.chart_data(), "text": _chart_text()},
        "has_measured": any(v is not None for v in board.measured_fleet_kw),
        "has_prices": any(v is not None for v in board.price_eur_per_kwh),
    }
    template_name = "energy/hub_dashboard.html"
    if request.htmx:
        template_name += "#day-table"
    return render(request, template_name, context)


# --- My car --------------------------------------------------------------------------------


@login_required
@require_GET
def my_car(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "energy/my_car.html",
        {
            "cars": selectors.private_cars_of(user=user),
            "history": selectors.fed_back_history(user=user),
            "consent_given": services.feed_back_consent_given(user=user),
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
    user = _user(request)
    consent = services.feed_back_consent_given(user=user)
    form = PrivateCarForm(request.POST or None, consent_given=consent)
    if request.method == "POST" and form.is_valid():
        try:
            car = services.private_car_register(owner=user, **_car_values(form))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("%(plate)s is registered.") % {"plate": car.plate})
            return redirect("energy:my_car")
    return render(request, "energy/car_form.html", {"form": form, "car": None})


@login_required
@require_http_methods(["GET", "POST"])
def car_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    car = _own_car(request, pk)
    consent = services.feed_back_consent_given(user=user)
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
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Your car's details are saved."))
            return redirect("energy:my_car")
    return render(request, "energy/car_form.html", {"form": form, "car": car})


def _default_departure() -> str:
    local = timezone.localtime() + timedelta(hours=12)
    return local.replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


@login_required
@require_http_methods(["GET", "POST"])
def session_start(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    car = _own_car(request, pk)
    active = ChargingSession.objects.filter(car=car, status=SessionStatus.ACTIVE).first()
    if active is not None:
        return redirect("energy:session_detail", pk=active.pk)
    consent = services.feed_back_consent_given(user=user)
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
            _apply_errors(form, exc)
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
            "text": _chart_text(),
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
    user = _user(request)
    session = _own_session(request, pk)
    consent = services.feed_back_consent_given(user=user)
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
                _apply_errors(form, exc)
        if form.is_valid() and not form.errors:
            if not request.htmx:
                messages.success(request, _("Saved. The plan is being updated."))
                return redirect("energy:session_detail", pk=session.pk)
            consent = services.feed_back_consent_given(user=user)
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
    user = _user(request)
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
    consent = services.feed_back_consent_given(user=user)
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
    session = charging_sessions.charging_session_end(session=session, by=_user(request))
    messages.success(request, _("Unplugged. Have a good trip."))
    return redirect("energy:my_car")


def _session_error(
    request: HttpRequest, session: ChargingSession, exc: ValidationError
) -> HttpResponse:
    """A boost the session cannot take (unplugged, already charged): the page with the reason."""
    user = _user(request)
    consent = services.feed_back_consent_given(user=user)
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
        charging_sessions.charging_session_boost(session=session, by=_user(request))
    except ValidationError as exc:
        return _session_error(request, session, exc)
    messages.success(request, _("Charging now at full power. The plan is being updated."))
    return redirect("energy:session_detail", pk=session.pk)


@login_required
@require_POST
def session_boost_end(request: HttpRequest, pk: int) -> HttpResponse:
    session = _own_session(request, pk)
    try:
        charging_sessions.charging_session_boost_end(session=session, by=_user(request))
    except ValidationError as exc:
        return _session_error(request, session, exc)
    messages.success(request, _("Back to the cheapest charging that keeps your departure."))
    return redirect("energy:session_detail", pk=session.pk)
