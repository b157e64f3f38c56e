"""What the hub's chargers tell the central system, and what the live plan asks of them.

Everything here is synchronous ORM code; the OCPP server (``energy.ocpp``) calls it through
``sync_to_async`` and keeps no Django state of its own. A charger is always named by its
``ocpp_id`` (the identity in its websocket URL and Basic-auth user name).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from energy.grid.services import charger_power_record
from energy.models import (
    ZERO,
    Charger,
    ChargerStatus,
    ChargingSession,
    DispatchRun,
    PlanSlot,
    ReadingSource,
    SessionStatus,
)
from energy.services.vehicle_state import charge_level_record
from sharing.models import Booking, BookingStatus, Vehicle, VehicleStatus

logger = logging.getLogger(__name__)

# OCPP 2.0.1 allows 16 to 40 characters for a Basic-auth password (SecurityCtrlr); 1.6's
# security whitepaper asks for at least 16. The same rule serves both.
PASSWORD_MIN_LENGTH = 16
PASSWORD_MAX_LENGTH = 40
KW_STEP = Decimal("0.001")


# --- Credentials --------------------------------------------------------------------------


def charger_credentials_valid(*, ocpp_id: str, password: str) -> bool:
    """Basic-auth check of a connecting charger (OCPP security profile 1).

    An unknown identity or a charger without a password is refused just like a wrong password;
    for an unknown identity a hash is still computed so the answer takes as long.
    """
    encoded = (
        Charger.objects.filter(ocpp_id=ocpp_id).values_list("auth_password_hash", flat=True).first()
    )
    if encoded is None:
        make_password(password)
        return False
    if not encoded:
        return False
    return check_password(password, encoded)


def charger_password_version(*, ocpp_id: str) -> str:
    """A short digest of the charger's stored password hash ("" for no such charger or no
    password): it changes whenever the password is set, so a password remembered as checked
    under one version is not taken for granted under the next (one indexed read, no hashing)."""
    encoded = (
        Charger.objects.filter(ocpp_id=ocpp_id).values_list("auth_password_hash", flat=True).first()
    )
    if not encoded:
        return ""
    return hashlib.sha256(encoded.encode()).hexdigest()[:16]


def charger_password_validate(password: str) -> None:
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise ValidationError(
            _("A charger password has %(min)d to %(max)d characters.")
            % {"min": PASSWORD_MIN_LENGTH, "max": PASSWORD_MAX_LENGTH},
            code="password_length",
        )
    if any(ord(c) < 0x21 or ord(c) > 0x7E for c in password):
        raise ValidationError(
            _("A charger password uses printable ASCII characters without spaces."),
            code="password_characters",
        )


def charger_password_set(*, charger: Charger, password: str) -> None:
    """Store a new Basic-auth password for ``charger``, hashed; the old one stops working."""
    charger_password_validate(password)
    charger.auth_password_hash = make_password(password)
    Charger.objects.filter(pk=charger.pk).update(auth_password_hash=charger.auth_password_hash)


# --- What a charger reports ---------------------------------------------------------------


def charger_connected(*, ocpp_id: str, protocol: str) -> None:
    """A charger opened its websocket: note the protocol it actually speaks."""
    Charger.objects.filter(ocpp_id=ocpp_id).update(
        protocol=protocol, last_message_at=timezone.now()
    )


def charger_seen(*, ocpp_id: str) -> None:
    """Boot notification, heartbeat: the charger is alive."""
    Charger.objects.filter(ocpp_id=ocpp_id).update(last_message_at=timezone.now())


def charger_status_set(*, ocpp_id: str, status: ChargerStatus) -> None:
    Charger.objects.filter(ocpp_id=ocpp_id).update(status=status, last_message_at=timezone.now())


def charger_disconnected(*, ocpp_id: str) -> None:
    """The websocket closed: offline, and no set-point we could vouch for."""
    Charger.objects.filter(ocpp_id=ocpp_id).update(
        status=ChargerStatus.OFFLINE, current_setpoint_kw=None, measured_power_kw=None
    )


def charger_meter_record(
    *,
    ocpp_id: str,
    power_kw: float | None = None,
    soc_percent: float | None = None,
    soc_at: datetime | None = None,
) -> None:
    """A meter reading: the power at the charger, and the charge of the car on its bay.

    The state of charge becomes a ``ChargeLevelReading`` (which re-plans the hub if it departs
    from the plan) only when the car can be named: the bay's own shared car, not on a trip.
    A resident's own car plugged in there has no reading model; its percentage is ignored.
    """
    now = timezone.now()
    charger = Charger.objects.select_related("bay").filter(ocpp_id=ocpp_id).first()
    if charger is None:
        return
    changes: dict[str, object] = {"last_message_at": now}
    if power_kw is not None:
        changes["measured_power_kw"] = Decimal(repr(power_kw)).quantize(KW_STEP)
        # kept per ISP for the settlement of flexibility orders (energy.grid)
        charger_power_record(
            charger_id=charger.pk, hub_id=charger.bay.hub_id, power_kw=power_kw, at=now
        )
    Charger.objects.filter(pk=charger.pk).update(**changes)
    if soc_percent is None:
        return
    vehicle = vehicle_on_bay(bay_id=charger.bay_id)
    if vehicle is None:
        logger.info("%s: state of charge reported, but no shared car is on the bay", ocpp_id)
        return
    percent = min(max(Decimal(repr(soc_percent)), ZERO), Decimal(100))
    soc_kwh = (vehicle.model.usable_battery_kwh * percent / 100).quantize(KW_STEP)
    # A charger clock running ahead must not date a reading in the future.
    measured_at = min(soc_at or now, now)
    charge_level_record(
        vehicle=vehicle, soc_kwh=soc_kwh, source=ReadingSource.CHARGER, measured_at=measured_at
    )


def vehicle_on_bay(*, bay_id: int) -> Vehicle | None:
    """The shared car parked on the bay: the one whose home it is, unless it is on a trip.

    ``None`` when a resident's own car is plugged in there, or when the answer is not unique.
    """
    if ChargingSession.objects.filter(bay_id=bay_id, status=SessionStatus.ACTIVE).exists():
        return None
    on_trip = Booking.objects.filter(status=BookingStatus.ACTIVE, vehicle__isnull=False).values(
        "vehicle_id"
    )
    cars = list(
        Vehicle.objects.filter(home_bay_id=bay_id)
        .exclude(status=VehicleStatus.RETIRED)
        .exclude(pk__in=on_trip)
        .select_related("model")[:2]
    )
    return cars[0] if len(cars) == 1 else None


# --- What the plan asks -------------------------------------------------------------------


def charger_setpoint_planned(*, ocpp_id: str, at: datetime) -> tuple[Decimal, datetime] | None:
    """The power the hub's live plan sets for this charger's bay in the slot holding ``at``.

    Returns ``(kW, slot start)``: positive charges, negative feeds back, clamped to what the
    charger can do. The bay's power is what the plan gives its shared car(s) and the resident's
    car plugged in there; a bay the plan leaves out gets 0 kW, so nothing unplanned loads the
    grid connection. ``None`` when the hub has no live plan covering ``at``: the charger is then
    left to its own defaults.
    """
    charger = Charger.objects.select_related("bay__hub").filter(ocpp_id=ocpp_id).first()
    if charger is None:
        return None
    run = DispatchRun.objects.filter(hub_id=charger.bay.hub_id, is_current=True).first()
    if run is None:
        return None
    start = charger.bay.hub.floor_to_slot(at)
    if (
        not run.horizon_start
        <= start
        < run.horizon_start + run.slots * timedelta(minutes=run.slot_minutes)
    ):
        return None
    planned = (
        PlanSlot.objects.filter(run=run, start=start)
        .filter(
            Q(vehicle__home_bay_id=charger.bay_id)
            | Q(session__bay_id=charger.bay_id, session__status=SessionStatus.ACTIVE)
        )
        .aggregate(total=Sum("power_kw"))["total"]
        or ZERO
    )
    kw = min(max(planned, -charger.discharge_kw), charger.ac_charge_kw)
    return kw, start


def charger_setpoint_record(*, ocpp_id: str, kw: Decimal) -> None:
    """The charger accepted a set-point of ``kw`` (what it was told, after protocol limits)."""
    Charger.objects.filter(ocpp_id=ocpp_id).update(current_setpoint_kw=kw.quantize(KW_STEP))
