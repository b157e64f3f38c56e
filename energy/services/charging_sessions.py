"""A resident's own car at the hub: plugging it in at a bay (a charging session), changing the
departure, the charge wanted and feeding back, a "charge now" boost, and ending the session.

As ``energy.services.private_cars``: keyword-only arguments, one transaction, ownership checked,
``ValidationError`` with per-field messages, a re-plan queued on commit for what the plan
should reflect.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from energy.models import ZERO, ChargingSession, PrivateCar, SessionStatus
from energy.rules import raise_errors, session_errors
from energy.selectors import session_charge_estimate_kwh, session_feed_back_earning
from energy.services.private_cars import consent_check
from energy.services.replan import replan_request
from sharing.models import Bay


def charging_session_start(
    *,
    car: PrivateCar,
    by: User,
    bay: Bay,
    initial_soc_kwh: Decimal,
    departure_at: datetime,
    target_soc_kwh: Decimal,
    allow_feed_back: bool = False,
    feed_back_floor_kwh: Decimal = ZERO,
    grant_feed_back_consent: bool = False,
    now: datetime | None = None,
) -> ChargingSession:
    if car.owner_id != by.pk:
        raise PermissionDenied(_("This is not your car."))
    now = now or timezone.now()
    with transaction.atomic():
        car = PrivateCar.objects.select_for_update().get(pk=car.pk)
        errors = session_errors(
            car=car,
            now=now,
            departure_at=departure_at,
            target_soc_kwh=target_soc_kwh,
            allow_feed_back=allow_feed_back,
            feed_back_floor_kwh=feed_back_floor_kwh,
        )
        if initial_soc_kwh < 0:
            errors["initial_soc_kwh"] = [_("The charge cannot be negative.")]
        elif initial_soc_kwh > car.battery_kwh:
            errors["initial_soc_kwh"] = [
                _("Your battery holds %(kwh)s kWh at most.") % {"kwh": car.battery_kwh}
            ]
        if ChargingSession.objects.filter(car=car, status=SessionStatus.ACTIVE).exists():
            errors.setdefault("__all__", []).append(_("This car is already plugged in."))
        bay = Bay.objects.select_for_update().get(pk=bay.pk)
        taken = ChargingSession.objects.filter(bay=bay, status=SessionStatus.ACTIVE).exists()
        if taken or bay.home_vehicles.exists():
            errors["bay"] = [_("This bay is taken; choose another one.")]
        consent_check(
            by,
            wanted=allow_feed_back,
            grant=grant_feed_back_consent,
            field="allow_feed_back",
            errors=errors,
        )
        raise_errors(errors)
        try:
            with transaction.atomic():
                session = ChargingSession.objects.create(
                    car=car,
                    bay=bay,
                    plugged_in_at=now,
                    initial_soc_kwh=initial_soc_kwh,
                    departure_at=departure_at,
                    target_soc_kwh=target_soc_kwh,
                    allow_feed_back=allow_feed_back,
                    feed_back_floor_kwh=feed_back_floor_kwh if allow_feed_back else ZERO,
                )
        except IntegrityError as exc:  # someone plugged in at the same moment
            raise ValidationError({"bay": [_("This bay is taken; choose another one.")]}) from exc
        replan_request(hub_id=bay.hub_id, reason=f"car plugged in at {bay.label}")
        return session


def charging_session_update(
    *,
    session: ChargingSession,
    by: User,
    departure_at: datetime,
    target_soc_kwh: Decimal,
    allow_feed_back: bool,
    feed_back_floor_kwh: Decimal,
    grant_feed_back_consent: bool = False,
    now: datetime | None = None,
) -> ChargingSession:
    now = now or timezone.now()
    with transaction.atomic():
        session = _own_active_session(session, by)
        errors = session_errors(
            car=session.car,
            now=now,
            departure_at=departure_at,
            target_soc_kwh=target_soc_kwh,
            allow_feed_back=allow_feed_back,
            feed_back_floor_kwh=feed_back_floor_kwh,
        )
        consent_check(
            by,
            wanted=allow_feed_back and not session.allow_feed_back,
            grant=grant_feed_back_consent,
            field="allow_feed_back",
            errors=errors,
        )
        raise_errors(errors)
        session.departure_at = departure_at
        session.target_soc_kwh = target_soc_kwh
        session.allow_feed_back = allow_feed_back
        session.feed_back_floor_kwh = feed_back_floor_kwh if allow_feed_back else ZERO
        session.save(
            update_fields=[
                "departure_at",
                "target_soc_kwh",
                "allow_feed_back",
                "feed_back_floor_kwh",
            ]
        )
        replan_request(hub_id=session.bay.hub_id, reason=f"session {session.pk} changed")
        return session


def charging_session_end(
    *, session: ChargingSession, by: User, now: datetime | None = None
) -> ChargingSession:
    """Unplug: the session ends now; what it fed back (metered, else as planned) and what that
    earned the owner (``energy.selectors.feed_back``) are kept with it."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _own_session(session, by)
        if session.status != SessionStatus.ACTIVE:
            return session  # unplugging twice is harmless
        session.status = SessionStatus.ENDED
        session.ended_at = now
        session.boost_requested_at = None  # a boost lasts while the car is plugged in
        earning = session_feed_back_earning(session=session, until=now)
        session.energy_fed_back_kwh = max(session.energy_fed_back_kwh, earning.kwh)
        session.fed_back_eur = earning.eur
        session.save(
            update_fields=[
                "status",
                "ended_at",
                "energy_fed_back_kwh",
                "fed_back_eur",
                "boost_requested_at",
            ]
        )
        replan_request(hub_id=session.bay.hub_id, reason=f"car unplugged at {session.bay.label}")
        return session


def _own_session(session: ChargingSession, by: User) -> ChargingSession:
    """The session, locked for the rest of the transaction, if ``by`` owns its car."""
    session = (
        ChargingSession.objects.select_for_update().select_related("car", "bay").get(pk=session.pk)
    )
    if session.car.owner_id != by.pk:
        raise PermissionDenied(_("This is not your car."))
    return session


def _own_active_session(session: ChargingSession, by: User) -> ChargingSession:
    session = _own_session(session, by)
    if session.status != SessionStatus.ACTIVE:
        raise ValidationError({"__all__": [_("This car has been unplugged already.")]})
    return session


def charging_session_boost(
    *, session: ChargingSession, by: User, now: datetime | None = None
) -> ChargingSession:
    """Charge now: plans charge the car flat out until its target is reached, whatever the
    price; the boost ends by itself then (see ``energy.departures.boost_departure_slots``)."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _own_active_session(session, by)
        if session_charge_estimate_kwh(session=session, now=now) >= float(session.target_soc_kwh):
            raise ValidationError(
                {"__all__": [_("Your car already holds the charge you asked for.")]}
            )
        if session.boost_requested_at is None:
            session.boost_requested_at = now
            session.save(update_fields=["boost_requested_at"])
            replan_request(hub_id=session.bay.hub_id, reason=f"session {session.pk} boosted")
        return session


def charging_session_boost_end(*, session: ChargingSession, by: User) -> ChargingSession:
    """Back to the cheapest plan that keeps the departure; ending no boost is harmless."""
    with transaction.atomic():
        session = _own_active_session(session, by)
        if session.boost_requested_at is not None:
            session.boost_requested_at = None
            session.save(update_fields=["boost_requested_at"])
            replan_request(hub_id=session.bay.hub_id, reason=f"session {session.pk} boost ended")
        return session
