"""Residents' own cars: registering and changing them (their charging sessions, plugging in at a
bay, changing and ending that, are ``energy.services.charging_sessions``).

Every function takes keyword-only arguments, runs in one transaction, checks that the resident
owns what they touch, and raises ``ValidationError`` with per-field messages that the forms show
next to the right field. A change the hub's plan should reflect queues a re-plan on commit.
Feeding back needs the resident's ``feed_back`` consent; a caller may record it in the same step
(``grant_feed_back_consent=True``), as the forms offer.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import ConsentKind, User
from accounts.services import consents_record
from energy.models import ZERO, ChargingSession, PrivateCar, SessionStatus
from energy.rules import Errors, car_errors, feed_back_consent_given, normalise_plate, raise_errors
from energy.services.replan import replan_request


def consent_check(user: User, *, wanted: bool, grant: bool, field: str, errors: Errors) -> None:
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
        errors = car_errors(
            owner=owner,
            plate=plate,
            battery_kwh=battery_kwh,
            max_charge_kw=max_charge_kw,
            max_discharge_kw=max_discharge_kw,
            may_feed_back=may_feed_back,
            floor_kwh=floor_kwh,
        )
        consent_check(
            owner,
            wanted=may_feed_back,
            grant=grant_feed_back_consent,
            field="may_feed_back",
            errors=errors,
        )
        raise_errors(errors)
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
        errors = car_errors(
            owner=by,
            plate=plate,
            battery_kwh=battery_kwh,
            max_charge_kw=max_charge_kw,
            max_discharge_kw=max_discharge_kw,
            may_feed_back=may_feed_back,
            floor_kwh=floor_kwh,
            car=car,
        )
        consent_check(
            by,
            wanted=may_feed_back and not car.may_feed_back,
            grant=grant_feed_back_consent,
            field="may_feed_back",
            errors=errors,
        )
        raise_errors(errors)
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
