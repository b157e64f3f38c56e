"""Residents' own cars: registering them, plugging them in at a bay, changing and ending that.

Every function takes keyword-only arguments, runs in one transaction, checks that the resident
owns what they touch, and raises ``ValidationError`` with per-field messages that the forms show
next to the right field. A change the hub's plan should reflect queues a re-plan on commit.
Feeding back needs the resident's ``feed_back`` consent; a caller may record it in the same step
(``grant_feed_back_consent=True``), as the forms offer.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ConsentKind, User
from accounts.selectors import consents_current
from accounts.services import consents_record
from energy.models import ZERO, ChargingSession, PrivateCar, SessionStatus
from energy.selectors import session_charge_estimate_kwh, session_executed_fed_back_kwh
from energy.services.replan import replan_request
from sharing.models import Bay

Errors = dict[str, list[str]]


def feed_back_consent_given(*, user: User) -> bool:
    current = consents_current(user=user).get(ConsentKind.FEED_BACK)
    return bool(current and current.granted)


def _consent(user: User, *, wanted: bool, grant: bool, field: str, errors: Errors) -> None:
    """Record the consent if offered; complain on ``field`` if feeding back lacks it."""
    if not wanted:
        return
    if grant:
        consents_record(user=user, choices={ConsentKind.FEED_BACK: True})
        return
    if not feed_back_consent_given(user=user):
        errors.setdefault(field, []).append(
            _("Feeding back needs your consent: tick “I agree to feed back” below.")
        )


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _car_errors(
    *,
    owner: User,
    plate: str,
    battery_kwh: Decimal,
    max_charge_kw: Decimal,
    max_discharge_kw: Decimal,
    may_feed_back: bool,
    floor_kwh: Decimal,
    car: PrivateCar | None = None,
) -> Errors:
    errors: Errors = {}
    if not plate:
        errors["plate"] = [_("Enter the licence plate.")]
    elif (
        PrivateCar.objects.filter(owner=owner, plate=plate)
        .exclude(pk=car.pk if car else 0)
        .exists()
    ):
        errors["plate"] = [_("You have already registered a car with this plate.")]
    if battery_kwh < 1:
        errors["battery_kwh"] = [_("A battery holds at least 1 kWh.")]
    if max_charge_kw <= 0:
        errors["max_charge_kw"] = [_("Charge power must be more than 0 kW.")]
    if max_discharge_kw < 0:
        errors["max_discharge_kw"] = [_("Discharge power cannot be negative.")]
    if may_feed_back and max_discharge_kw <= 0:
        errors["max_discharge_kw"] = [_("A car that may feed back needs a discharge power.")]
    if floor_kwh < 0:
        errors["floor_kwh"] = [_("The floor cannot be negative.")]
    elif floor_kwh > battery_kwh:
        errors["floor_kwh"] = [_("The floor cannot be above the battery's size.")]
    return errors


def normalise_plate(plate: str) -> str:
    """Dutch plates are written with or without dashes and in any case: keep one form."""
    return "".join(plate.split()).upper()


def private_car_register(
    *,
    owner: User,
    plate: str,
    battery_kwh: Decimal,
    max_charge_kw: Decimal,
    max_discharge_kw: Decimal = ZERO,
    may_feed_back: bool = False,
    floor_kwh: Decimal = ZERO,
    grant_feed_back_consent: bool = False,
) -> PrivateCar:
    plate = normalise_plate(plate)
    with transaction.atomic():
        errors = _car_errors(
            owner=owner,
            plate=plate,
            battery_kwh=battery_kwh,
            max_charge_kw=max_charge_kw,
            max_discharge_kw=max_discharge_kw,
            may_feed_back=may_feed_back,
            floor_kwh=floor_kwh,
        )
        _consent(
            owner,
            wanted=may_feed_back,
            grant=grant_feed_back_consent,
            field="may_feed_back",
            errors=errors,
        )
        _raise(errors)
        try:
            with transaction.atomic():
                return PrivateCar.objects.create(
                    owner=owner,
                    plate=plate,
                    battery_kwh=battery_kwh,
                    max_charge_kw=max_charge_kw,
                    max_discharge_kw=max_discharge_kw,
                    may_feed_back=may_feed_back,
                    floor_kwh=floor_kwh,
                )
        except IntegrityError as exc:  # a double submit raced past the check above
            raise ValidationError(
                {"plate": [_("You have already registered a car with this plate.")]}
            ) from exc


def private_car_update(
    *,
    car: PrivateCar,
    by: User,
    plate: str,
    battery_kwh: Decimal,
    max_charge_kw: Decimal,
    max_discharge_kw: Decimal,
    may_feed_back: bool,
    floor_kwh: Decimal,
    grant_feed_back_consent: bool = False,
) -> PrivateCar:
    if car.owner_id != by.pk:
        raise PermissionDenied(_("This is not your car."))
    plate = normalise_plate(plate)
    with transaction.atomic():
        car = PrivateCar.objects.select_for_update().get(pk=car.pk)
        errors = _car_errors(
            owner=by,
            plate=plate,
            battery_kwh=battery_kwh,
            max_charge_kw=max_charge_kw,
            max_discharge_kw=max_discharge_kw,
            may_feed_back=may_feed_back,
            floor_kwh=floor_kwh,
            car=car,
        )
        _consent(
            by,
            wanted=may_feed_back and not car.may_feed_back,
            grant=grant_feed_back_consent,
            field="may_feed_back",
            errors=errors,
        )
        _raise(errors)
        car.plate = plate
        car.battery_kwh = battery_kwh
        car.max_charge_kw = max_charge_kw
        car.max_discharge_kw = max_discharge_kw
        car.may_feed_back = may_feed_back
        car.floor_kwh = floor_kwh
        try:
            with transaction.atomic():
                car.save()
        except IntegrityError as exc:
            raise ValidationError(
                {"plate": [_("You have already registered a car with this plate.")]}
            ) from exc
        active = ChargingSession.objects.filter(car=car, status=SessionStatus.ACTIVE).first()
        if active is not None:
            replan_request(hub_id=active.bay.hub_id, reason=f"private car {car.pk} changed")
        return car


def _session_errors(
    *,
    car: PrivateCar,
    now: datetime,
    departure_at: datetime,
    target_soc_kwh: Decimal,
    allow_feed_back: bool,
    feed_back_floor_kwh: Decimal,
) -> Errors:
    errors: Errors = {}
    if departure_at <= now:
        errors["departure_at"] = [_("The departure must be in the future.")]
    if target_soc_kwh < 0:
        errors["target_soc_kwh"] = [_("The charge wanted cannot be negative.")]
    elif target_soc_kwh > car.battery_kwh:
        errors["target_soc_kwh"] = [
            _("Your battery holds %(kwh)s kWh; ask for that or less.") % {"kwh": car.battery_kwh}
        ]
    if allow_feed_back:
        if not car.may_feed_back:
            errors["allow_feed_back"] = [
                _("This car is registered as one that does not feed back; change that first.")
            ]
        if feed_back_floor_kwh < car.floor_kwh:
            errors["feed_back_floor_kwh"] = [
                _("Your car never goes below %(kwh)s kWh; choose that or more.")
                % {"kwh": car.floor_kwh}
            ]
        elif feed_back_floor_kwh > car.battery_kwh:
            errors["feed_back_floor_kwh"] = [_("This is more than the battery holds.")]
    return errors


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
        errors = _session_errors(
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
        _consent(
            by,
            wanted=allow_feed_back,
            grant=grant_feed_back_consent,
            field="allow_feed_back",
            errors=errors,
        )
        _raise(errors)
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
        session = (
            ChargingSession.objects.select_for_update()
            .select_related("car", "bay")
            .get(pk=session.pk)
        )
        if session.car.owner_id != by.pk:
            raise PermissionDenied(_("This is not your car."))
        if session.status != SessionStatus.ACTIVE:
            raise ValidationError({"__all__": [_("This car has been unplugged already.")]})
        errors = _session_errors(
            car=session.car,
            now=now,
            departure_at=departure_at,
            target_soc_kwh=target_soc_kwh,
            allow_feed_back=allow_feed_back,
            feed_back_floor_kwh=feed_back_floor_kwh,
        )
        _consent(
            by,
            wanted=allow_feed_back and not session.allow_feed_back,
            grant=grant_feed_back_consent,
            field="allow_feed_back",
            errors=errors,
        )
        _raise(errors)
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
    """Unplug: the session ends now; what it fed back is kept (metered, else as planned)."""
    now = now or timezone.now()
    with transaction.atomic():
        session = (
            ChargingSession.objects.select_for_update()
            .select_related("car", "bay")
            .get(pk=session.pk)
        )
        if session.car.owner_id != by.pk:
            raise PermissionDenied(_("This is not your car."))
        if session.status != SessionStatus.ACTIVE:
            return session  # unplugging twice is harmless
        session.status = SessionStatus.ENDED
        session.ended_at = now
        session.boost_requested_at = None  # a boost lasts while the car is plugged in
        planned = session_executed_fed_back_kwh(session=session)
        session.energy_fed_back_kwh = max(session.energy_fed_back_kwh, planned)
        session.save(
            update_fields=["status", "ended_at", "energy_fed_back_kwh", "boost_requested_at"]
        )
        replan_request(hub_id=session.bay.hub_id, reason=f"car unplugged at {session.bay.label}")
        return session


def _own_active_session(session: ChargingSession, by: User) -> ChargingSession:
    session = (
        ChargingSession.objects.select_for_update().select_related("car", "bay").get(pk=session.pk)
    )
    if session.car.owner_id != by.pk:
        raise PermissionDenied(_("This is not your car."))
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
