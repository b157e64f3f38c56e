"""Chargers and what is plugged into them: charge-level readings, residents' own cars and
their charging sessions."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from energy.models.site import KW, ZERO


class ChargerStatus(models.TextChoices):
    AVAILABLE = "available", _("available")
    OCCUPIED = "occupied", _("occupied")
    FAULTED = "faulted", _("faulted")
    UNAVAILABLE = "unavailable", _("unavailable")
    OFFLINE = "offline", _("offline")


class Charger(models.Model):
    bay = models.OneToOneField("sharing.Bay", on_delete=models.CASCADE, related_name="charger")
    ocpp_id = models.CharField(_("OCPP identity"), max_length=48, unique=True)
    protocol = models.CharField(
        _("protocol"),
        max_length=12,
        choices=[("ocpp1.6", "OCPP 1.6J"), ("ocpp2.0.1", "OCPP 2.0.1"), ("ocpp2.1", "OCPP 2.1")],
        default="ocpp2.1",
    )
    ac_charge_kw = models.DecimalField(_("charge power (kW)"), **KW)
    ac_discharge_kw = models.DecimalField(_("discharge power (kW)"), default=ZERO, **KW)
    bidirectional = models.BooleanField(_("bidirectional"), default=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ChargerStatus.choices, default=ChargerStatus.OFFLINE
    )
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    current_setpoint_kw = models.DecimalField(
        _("current set-point (kW)"), null=True, blank=True, **KW
    )
    # Last power the charger measured (OCPP MeterValues): positive charging, negative feeding back.
    measured_power_kw = models.DecimalField(_("measured power (kW)"), null=True, blank=True, **KW)
    # Basic-auth password for the charge point (OCPP security profile 1), stored hashed.
    auth_password_hash = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["ocpp_id"]
        verbose_name = _("charger")
        verbose_name_plural = _("chargers")

    def __str__(self) -> str:
        return self.ocpp_id

    @property
    def discharge_kw(self) -> Decimal:
        return self.ac_discharge_kw if self.bidirectional else ZERO


class ReadingSource(models.TextChoices):
    CHARGER = "charger", _("charger (OCPP)")
    CAR = "car", _("car telematics")
    TRIP = "trip", _("trip return")
    MANUAL = "manual", _("entered by hand")
    PLAN = "plan", _("plan estimate")


class ChargeLevelReading(models.Model):
    """A measured charge level of a shared car; the latest one is the car's state."""

    vehicle = models.ForeignKey(
        "sharing.Vehicle", on_delete=models.CASCADE, related_name="charge_readings"
    )
    soc_kwh = models.DecimalField(_("charge (kWh)"), validators=[MinValueValidator(ZERO)], **KW)
    measured_at = models.DateTimeField(_("measured"), default=timezone.now)
    source = models.CharField(_("source"), max_length=10, choices=ReadingSource.choices)

    class Meta:
        ordering = ["-measured_at"]
        indexes = [models.Index(fields=["vehicle", "-measured_at"])]
        verbose_name = _("charge-level reading")
        verbose_name_plural = _("charge-level readings")

    def __str__(self) -> str:
        return f"{self.vehicle_id}: {self.soc_kwh} kWh @ {self.measured_at:%Y-%m-%d %H:%M}"


class PrivateCar(models.Model):
    """A resident's own car that uses the hub's bidirectional bays."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="private_cars"
    )
    plate = models.CharField(_("licence plate"), max_length=12)
    battery_kwh = models.DecimalField(
        _("usable battery (kWh)"), validators=[MinValueValidator(Decimal("1"))], **KW
    )
    max_charge_kw = models.DecimalField(
        _("charge power (kW)"), validators=[MinValueValidator(ZERO)], **KW
    )
    max_discharge_kw = models.DecimalField(
        _("discharge power (kW)"), default=ZERO, validators=[MinValueValidator(ZERO)], **KW
    )
    may_feed_back = models.BooleanField(_("may feed back to the neighbourhood"), default=False)
    floor_kwh = models.DecimalField(
        _("never below (kWh)"), default=ZERO, validators=[MinValueValidator(ZERO)], **KW
    )
    consumption_kwh_per_km = models.DecimalField(
        _("consumption (kWh/km)"), max_digits=5, decimal_places=3, default=Decimal("0.170")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["owner", "plate"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "plate"], name="private_car_unique_plate"),
            models.CheckConstraint(
                condition=Q(floor_kwh__lte=models.F("battery_kwh")),
                name="private_car_floor_below_battery",
            ),
        ]
        verbose_name = _("resident's car")
        verbose_name_plural = _("residents' cars")

    def __str__(self) -> str:
        return self.plate


class SessionStatus(models.TextChoices):
    ACTIVE = "active", _("plugged in")
    ENDED = "ended", _("ended")


class ChargingSession(models.Model):
    """A resident's own car plugged in at a bay: it enters every plan as a private car."""

    car = models.ForeignKey(PrivateCar, on_delete=models.CASCADE, related_name="sessions")
    bay = models.ForeignKey("sharing.Bay", on_delete=models.PROTECT, related_name="sessions")
    plugged_in_at = models.DateTimeField(_("plugged in"))
    initial_soc_kwh = models.DecimalField(_("charge when plugged in (kWh)"), **KW)
    departure_at = models.DateTimeField(_("departure"))
    target_soc_kwh = models.DecimalField(_("charge wanted at departure (kWh)"), **KW)
    allow_feed_back = models.BooleanField(_("feed back while parked"), default=False)
    feed_back_floor_kwh = models.DecimalField(
        _("feed back down to (kWh)"), default=ZERO, help_text=_("Never below this."), **KW
    )
    status = models.CharField(
        max_length=8, choices=SessionStatus.choices, default=SessionStatus.ACTIVE
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    energy_charged_kwh = models.DecimalField(default=ZERO, **KW)
    energy_fed_back_kwh = models.DecimalField(default=ZERO, **KW)
    # What the owner earned by feeding back, stored when the session ends
    # (energy.selectors.feed_back); empty while plugged in and for sessions ended before.
    fed_back_eur = models.DecimalField(
        _("earned by feeding back (EUR)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    # "Charge now": while set, every plan charges the car flat out until its target is
    # reached (energy.departures.boost_departure_slots); cleared then, or when it leaves.
    boost_requested_at = models.DateTimeField(_("charge now asked at"), null=True, blank=True)

    class Meta:
        ordering = ["-plugged_in_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["bay"], condition=Q(status="active"), name="one_active_session_per_bay"
            ),
            models.UniqueConstraint(
                fields=["car"], condition=Q(status="active"), name="one_active_session_per_car"
            ),
        ]
        verbose_name = _("charging session")
        verbose_name_plural = _("charging sessions")

    def __str__(self) -> str:
        return f"{self.car} @ {self.bay} from {self.plugged_in_at:%Y-%m-%d %H:%M}"
