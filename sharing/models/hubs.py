"""The hubs and their fleet: bays, vehicle models, cars and the cars' maintenance windows."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Hub(models.Model):
    """A mobility hub: its place, booking rules, fair-use limits, cancellation policy and tariff."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, default=0)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, default=0)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Amsterdam")

    # Booking rules. The slot is fixed at 15 minutes: the dispatcher plans in the same slots.
    slot_minutes = models.PositiveSmallIntegerField(_("slot (minutes)"), default=15, editable=False)
    min_booking_minutes = models.PositiveIntegerField(_("shortest booking (minutes)"), default=30)
    max_booking_hours = models.PositiveIntegerField(_("longest booking (hours)"), default=72)
    max_days_ahead = models.PositiveIntegerField(_("book at most (days ahead)"), default=60)
    turnaround_buffer_minutes = models.PositiveIntegerField(
        _("turnaround between bookings (minutes)"), default=15
    )
    bind_lead_minutes = models.PositiveIntegerField(
        _("bind a car at the latest (minutes before start)"), default=30
    )
    reserve_soc_percent = models.PositiveSmallIntegerField(
        _("reserve charge never promised (%)"),
        default=10,
        validators=[MaxValueValidator(90)],
    )
    no_show_after_minutes = models.PositiveIntegerField(
        _("no-show after (minutes past start)"), default=30
    )

    # Fair use, per household.
    max_concurrent_bookings_per_household = models.PositiveSmallIntegerField(
        _("open bookings per household"), default=2
    )
    max_hours_per_week_per_household = models.PositiveIntegerField(
        _("booked hours per household per week"), default=80
    )

    # Cancellation policy.
    free_cancel_hours_before = models.PositiveIntegerField(
        _("free cancellation until (hours before start)"), default=24
    )
    late_cancel_fee = models.DecimalField(
        _("late cancellation fee"), max_digits=9, decimal_places=2, default=Decimal("5.00")
    )
    no_show_fee = models.DecimalField(
        _("no-show fee"), max_digits=9, decimal_places=2, default=Decimal("15.00")
    )

    # Tariff.
    hourly_rate = models.DecimalField(
        _("hourly rate"), max_digits=9, decimal_places=2, default=Decimal("4.50")
    )
    day_rate = models.DecimalField(
        _("day rate (cap per 24 h)"), max_digits=9, decimal_places=2, default=Decimal("45.00")
    )
    per_km_rate = models.DecimalField(
        _("per km"), max_digits=9, decimal_places=2, default=Decimal("0.12")
    )

    # Staff who run this hub only; a fleet admin without hubs sees every hub.
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("hub managers"),
        blank=True,
        related_name="managed_hubs",
        help_text=_("Staff members who manage only this hub in the admin."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("hub")
        verbose_name_plural = _("hubs")

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.turnaround_buffer_minutes)

    def floor_to_slot(self, moment: datetime) -> datetime:
        """The start of the slot holding ``moment``, in ``moment``'s own time zone.

        Slots are every ``slot_minutes`` of the hub's local clock (the booking grid); the result
        keeps the caller's time zone, so ``energy`` stays in UTC and ``sharing`` passes local
        times where it wants a local day.
        """
        local = moment.astimezone(self.tz)
        floored = local.replace(
            minute=local.minute - local.minute % self.slot_minutes, second=0, microsecond=0
        )
        return floored.astimezone(moment.tzinfo)


class Bay(models.Model):
    """A parking bay; its charger is modelled in ``energy``."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="bays")
    label = models.CharField(_("label"), max_length=20)
    bidirectional = models.BooleanField(_("bidirectional charger"), default=True)
    for_shared = models.BooleanField(_("for shared cars"), default=True)

    class Meta:
        ordering = ["hub", "label"]
        constraints = [models.UniqueConstraint(fields=["hub", "label"], name="bay_unique_label")]
        verbose_name = _("bay")
        verbose_name_plural = _("bays")

    def __str__(self) -> str:
        return f"{self.hub.slug}/{self.label}"


class VehicleModel(models.Model):
    make = models.CharField(_("make"), max_length=60)
    model = models.CharField(_("model"), max_length=80)
    usable_battery_kwh = models.DecimalField(
        _("usable battery (kWh)"), max_digits=6, decimal_places=2
    )
    consumption_kwh_per_km = models.DecimalField(
        _("consumption (kWh/km)"), max_digits=5, decimal_places=3
    )
    seasonal_factor = models.DecimalField(
        _("seasonal factor"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("3"))],
        help_text=_("Multiplies consumption, e.g. 1.25 in winter."),
    )
    ac_charge_kw = models.DecimalField(_("AC charge (kW)"), max_digits=5, decimal_places=2)
    ac_discharge_kw = models.DecimalField(
        _("AC discharge (kW)"), max_digits=5, decimal_places=2, default=0
    )
    bidirectional = models.BooleanField(_("bidirectional"), default=True)
    max_promised_range_km = models.PositiveIntegerField(_("most range one may ask for (km)"))

    class Meta:
        ordering = ["make", "model"]
        constraints = [
            models.UniqueConstraint(fields=["make", "model"], name="vehiclemodel_unique_name")
        ]
        verbose_name = _("vehicle model")
        verbose_name_plural = _("vehicle models")

    def __str__(self) -> str:
        return f"{self.make} {self.model}"

    @property
    def effective_consumption_kwh_per_km(self) -> Decimal:
        return self.consumption_kwh_per_km * self.seasonal_factor


class VehicleStatus(models.TextChoices):
    ACTIVE = "active", _("in service")
    MAINTENANCE = "maintenance", _("in maintenance")
    RETIRED = "retired", _("retired")


class Vehicle(models.Model):
    plate = models.CharField(_("licence plate"), max_length=16, unique=True)
    model = models.ForeignKey(VehicleModel, on_delete=models.PROTECT, related_name="vehicles")
    hub = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="vehicles")
    home_bay = models.ForeignKey(
        Bay, null=True, blank=True, on_delete=models.SET_NULL, related_name="home_vehicles"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=VehicleStatus.choices, default=VehicleStatus.ACTIVE
    )
    odometer_km = models.PositiveIntegerField(_("odometer (km)"), default=0)
    # Last measured charge; the feasibility check assumes charging at full power since then.
    last_known_soc_kwh = models.DecimalField(
        _("last known charge (kWh)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    last_known_soc_at = models.DateTimeField(_("charge measured at"), null=True, blank=True)

    class Meta:
        ordering = ["hub", "plate"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")

    def __str__(self) -> str:
        return f"{self.plate} ({self.model})"


class VehiclePhoto(models.Model):
    """A car's photo, shown to the residents whose booking it is bound to, so they know which
    car in the bay is theirs.

    Like a damage report's photo it is kept in the database, re-encoded as JPEG without its
    metadata (``sharing.photos``). It has a table of its own so the bytes never travel with the
    car's row: every booking list, the car cache and the feasibility snapshot load cars.
    """

    vehicle = models.OneToOneField(
        Vehicle,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="photo",
        verbose_name=_("car"),
    )
    jpeg = models.BinaryField(_("photo (JPEG)"), editable=False)
    width = models.PositiveIntegerField(_("width (px)"), editable=False)
    height = models.PositiveIntegerField(_("height (px)"), editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("car photo")
        verbose_name_plural = _("car photos")

    def __str__(self) -> str:
        return f"photo of {self.vehicle_id}"


class MaintenanceBlock(models.Model):
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.CASCADE, related_name="maintenance_blocks"
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["vehicle", "start"]
        indexes = [models.Index(fields=["vehicle", "end"], name="maintenance_vehicle_end")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="maintenance_end_after_start"
            )
        ]
        verbose_name = _("maintenance block")
        verbose_name_plural = _("maintenance blocks")

    def __str__(self) -> str:
        return f"{self.vehicle.plate} {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M}"
