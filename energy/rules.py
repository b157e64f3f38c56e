"""The energy app's read-only rules: what a resident's own car and its charging session must
satisfy (per-field messages the forms show next to the right field), plate spelling, and
whether the resident has consented to feeding back. The services (``private_cars``,
``charging_sessions``) apply them before they write."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import ConsentKind, User
from accounts.selectors import consents_current
from energy.models import PrivateCar

Errors = dict[str, list[str]]


def feed_back_consent_given(*, user: User) -> bool:
    current = consents_current(user=user).get(ConsentKind.FEED_BACK)
    return bool(current and current.granted)


def raise_errors(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def car_errors(
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


def session_errors(
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
