"""Energy data of a hub: site and grid connection, PV, chargers, prices, residents' own cars,
charge-level readings, and the dispatch plans built from them.

Power and energy are stored as ``Decimal`` (kW and kWh to the watt / watt-hour); they become
floats only inside the solver (``energy.dispatch``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KW: dict[str, Any] = {"max_digits": 9, "decimal_places": 3}
EUR_PER_KWH: dict[str, Any] = {"max_digits": 10, "decimal_places": 5}
ZERO = Decimal("0")


class Site(models.Model):
    """The hub's grid connection and the roofs behind it."""

    hub = models.OneToOneField("sharing.Hub", on_delete=models.CASCADE, related_name="site")
    ean = models.CharField(
        _("connection EAN"),
        max_length=18,
        validators=[RegexValidator(r"^\d{18}$", _("An EAN code has 18 digits."))],
        help_text=_("The grid operator's reference of the connection (18 digits)."),
    )
    grid_import_limit_kw = models.DecimalField(
        _("grid import limit (kW)"), validators=[MinValueValidator(ZERO)], **KW
    )
    grid_export_limit_kw = models.DecimalField(
        _("grid export limit (kW)"), validators=[MinValueValidator(ZERO)], **KW
    )
    homes = models.PositiveIntegerField(_("homes behind the connection"), default=0)
    cloudiness_factor = models.DecimalField(
        _("cloudiness factor"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.650"),
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("1"))],
        help_text=_("Share of clear-sky PV expected (1 = cloudless). Forecast imports override."),
    )
    degradation_eur_per_kwh = models.DecimalField(
        _("battery wear (EUR per kWh discharged)"), default=Decimal("0.04000"), **EUR_PER_KWH
    )
    price_area = models.CharField(_("price area"), max_length=8, default="NL")
    export_price_factor = models.DecimalField(
        _("export price factor"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("1.000"),
        help_text=_("Export earns this share of the day-ahead price."),
    )
    import_surcharge_eur_per_kwh = models.DecimalField(
        _("import surcharge (EUR/kWh)"),
        default=Decimal("0.02000"),
        help_text=_("Supplier margin and energy tax added to the day-ahead price on import."),
        **EUR_PER_KWH,
    )
    offers_flexibility = models.BooleanField(_("offers flexibility to the grid"), default=True)
    grid_operator = models.ForeignKey(
        "energy.GridOperator",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sites",
        verbose_name=_("grid operator (DSO)"),
        help_text=_("Who gets the connection's D-Prognosis and may order its flexibility."),
    )

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return f"{self.hub} ({self.grid_import_limit_kw} kW)"


class PvSystem(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="pv_systems")
    name = models.CharField(_("name"), max_length=80)
    kwp = models.DecimalField(_("peak power (kWp)"), validators=[MinValueValidator(ZERO)], **KW)
    tilt_deg = models.DecimalField(
        _("tilt (degrees)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("90"))],
    )
    azimuth_deg = models.DecimalField(
        _("azimuth (degrees, 180 = south)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("360"))],
    )

    class Meta:
        ordering = ["site", "name"]
        verbose_name = _("PV system")
        verbose_name_plural = _("PV systems")

    def __str__(self) -> str:
        return f"{self.name} ({self.kwp} kWp)"


class BaseLoadProfile(models.Model):
    """Everything but the EVs, per home, by quarter hour of a weekday and a weekend day.

    Values are kW per home as decimal strings (96 each); the forecast multiplies by the homes.
    """

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="base_load")
    name = models.CharField(_("name"), max_length=80, default="NEDU E1A-like household")
    weekday_kw_per_home = models.JSONField(_("weekday kW per home (96 quarter hours)"))
    weekend_kw_per_home = models.JSONField(_("weekend kW per home (96 quarter hours)"))
    fixed_kw = models.DecimalField(
        _("fixed load (kW)"), default=ZERO, help_text=_("Hub lighting, pumps."), **KW
    )

    class Meta:
        verbose_name = _("base-load profile")
        verbose_name_plural = _("base-load profiles")

    def __str__(self) -> str:
        return self.name


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


class PriceSlot(models.Model):
    """Day-ahead price of one 15-minute slot (hourly prices are spread over four slots)."""

    area = models.CharField(max_length=8, default="NL")
    start = models.DateTimeField(_("slot start (UTC)"))
    day_ahead_eur_per_kwh = models.DecimalField(_("day-ahead price (EUR/kWh)"), **EUR_PER_KWH)
    source = models.CharField(max_length=120, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["area", "start"]
        constraints = [
            models.UniqueConstraint(fields=["area", "start"], name="price_slot_unique_start")
        ]
        verbose_name = _("price slot")
        verbose_name_plural = _("price slots")

    def __str__(self) -> str:
        return f"{self.area} {self.start:%Y-%m-%d %H:%M} {self.day_ahead_eur_per_kwh}"


class FlexPriceSlot(models.Model):
    """Capacity prices the grid operator pays per kW held available for a slot."""

    area = models.CharField(max_length=8, default="NL")
    start = models.DateTimeField()
    up_eur_per_kw = models.DecimalField(**EUR_PER_KWH)
    down_eur_per_kw = models.DecimalField(**EUR_PER_KWH)

    class Meta:
        ordering = ["area", "start"]
        constraints = [
            models.UniqueConstraint(fields=["area", "start"], name="flex_price_unique_start")
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.start:%Y-%m-%d %H:%M}"


class CloudinessForecast(models.Model):
    """An imported cloudiness forecast; overrides the site's factor for its slots."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="cloudiness_forecasts")
    start = models.DateTimeField()
    factor = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("1"))],
    )

    class Meta:
        ordering = ["site", "start"]
        constraints = [
            models.UniqueConstraint(fields=["site", "start"], name="cloudiness_unique_start")
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.start:%Y-%m-%d %H:%M} {self.factor}"


class RunStatus(models.TextChoices):
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    INVALID = "invalid", _("plan failed the check")
    FAILED = "failed", _("failed")


class DispatchRun(models.Model):
    """One solve of one hub: its input (a scenario document), its plan and how it went."""

    hub = models.ForeignKey("sharing.Hub", on_delete=models.CASCADE, related_name="dispatch_runs")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    horizon_start = models.DateTimeField()
    slot_minutes = models.PositiveSmallIntegerField(default=15)
    slots = models.PositiveIntegerField()
    scenario = models.JSONField()
    plan = models.JSONField(null=True, blank=True)
    solver = models.CharField(max_length=80, blank=True)
    solver_status = models.CharField(max_length=40, blank=True)
    solver_seconds = models.FloatField(null=True, blank=True)
    score_eur = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    score_terms = models.JSONField(default=dict, blank=True)
    bound_eur = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    gap = models.FloatField(null=True, blank=True)
    fallback_used = models.BooleanField(default=False)
    violations = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    is_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["hub"], condition=Q(is_current=True), name="one_current_plan_per_hub"
            )
        ]
        verbose_name = _("dispatch run")
        verbose_name_plural = _("dispatch runs")

    def __str__(self) -> str:
        return f"{self.hub} {self.created_at:%Y-%m-%d %H:%M} {self.status}"


class PlanSlot(models.Model):
    """What a run planned for one vehicle (shared or private) in one slot."""

    run = models.ForeignKey(DispatchRun, on_delete=models.CASCADE, related_name="slots_planned")
    vehicle = models.ForeignKey(
        "sharing.Vehicle", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    session = models.ForeignKey(
        ChargingSession, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    start = models.DateTimeField()
    power_kw = models.DecimalField(**KW)
    soc_kwh = models.DecimalField(**KW)
    flex_up_kw = models.DecimalField(default=ZERO, **KW)
    flex_down_kw = models.DecimalField(default=ZERO, **KW)

    class Meta:
        ordering = ["run", "vehicle", "session", "start"]
        indexes = [models.Index(fields=["run", "start"])]

    def __str__(self) -> str:
        return f"run {self.run_id} {self.start:%Y-%m-%d %H:%M} {self.power_kw} kW"


class PlanAssignment(models.Model):
    """The car a run chose for a booking (null: it could not keep the promise)."""

    run = models.ForeignKey(DispatchRun, on_delete=models.CASCADE, related_name="assignments")
    booking = models.ForeignKey("sharing.Booking", on_delete=models.CASCADE, related_name="+")
    vehicle = models.ForeignKey(
        "sharing.Vehicle", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "booking"], name="one_assignment_per_booking")
        ]

    def __str__(self) -> str:
        return f"run {self.run_id}: booking {self.booking_id} -> {self.vehicle_id}"


class OfferStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    OFFERED = "offered", _("offered")
    ACTIVATED = "activated", _("activated")
    EXPIRED = "expired", _("expired")


class FlexOffer(models.Model):
    """Upward and downward capacity the hub can hold for the grid in one slot."""

    hub = models.ForeignKey("sharing.Hub", on_delete=models.CASCADE, related_name="flex_offers")
    run = models.ForeignKey(DispatchRun, on_delete=models.SET_NULL, null=True, related_name="+")
    start = models.DateTimeField()
    up_kw = models.DecimalField(**KW)
    down_kw = models.DecimalField(**KW)
    up_eur_per_kw = models.DecimalField(**EUR_PER_KWH)
    down_eur_per_kw = models.DecimalField(**EUR_PER_KWH)
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default=OfferStatus.DRAFT)
    activated_up_kw = models.DecimalField(default=ZERO, **KW)
    activated_down_kw = models.DecimalField(default=ZERO, **KW)

    class Meta:
        ordering = ["hub", "start"]
        indexes = [models.Index(fields=["hub", "start"])]
        verbose_name = _("flexibility offer")
        verbose_name_plural = _("flexibility offers")

    def __str__(self) -> str:
        return f"{self.hub} {self.start:%Y-%m-%d %H:%M} +{self.up_kw}/-{self.down_kw} kW"

    @property
    def income_eur(self) -> Decimal:
        return self.up_kw * self.up_eur_per_kw + self.down_kw * self.down_eur_per_kw


class CarbonIntensityHour(models.Model):
    """The grid's CO2 intensity in one hour (``import_carbon``: Electricity Maps' hourly data)."""

    area = models.CharField(max_length=8, default="NL")
    start = models.DateTimeField(_("hour start (UTC)"))
    direct_g_per_kwh = models.DecimalField(_("direct (gCO2eq/kWh)"), max_digits=7, decimal_places=2)
    lifecycle_g_per_kwh = models.DecimalField(
        _("life cycle (gCO2eq/kWh)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    source = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["area", "start"]
        constraints = [
            models.UniqueConstraint(fields=["area", "start"], name="carbon_hour_unique_start")
        ]
        verbose_name = _("grid CO2 intensity")
        verbose_name_plural = _("grid CO2 intensities")

    def __str__(self) -> str:
        return f"{self.area} {self.start:%Y-%m-%d %H:%M} {self.direct_g_per_kwh} g"


# The grid side's tables (energy.grid) belong to this app; importing them here registers them.
from energy.grid.models import (  # noqa: E402, F401
    Aggregator,
    CapacityEvent,
    ChargerIspPower,
    DPrognosis,
    GridOffer,
    GridOfferSlot,
    GridOperator,
    GridOrder,
    GridOrderSlot,
    VtnConnection,
)
