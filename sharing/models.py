"""Hubs, bays, cars, bookings and trips.

Times are stored in UTC; a hub's ``time_zone`` is used to validate the booking grid and to show
times to residents. Money is ``Decimal`` in euros, energy in kWh, distance in km.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class TsTzRange(Func):
    """``tstzrange(lower, upper, '[)')``: the half-open block range used by the constraint."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


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


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("confirmed")
    BOUND = "bound", _("car assigned")
    ACTIVE = "active", _("on the road")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")
    NO_SHOW = "no_show", _("no-show")


OPEN_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.BOUND, BookingStatus.ACTIVE)
HOLDS_CAR_STATUSES = (BookingStatus.BOUND, BookingStatus.ACTIVE)


class BookingQuerySet(models.QuerySet["Booking"]):
    def open(self) -> BookingQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def of_household(self, user: User) -> BookingQuerySet:
        """The bookings of ``user``'s household: the only ones a resident may act on."""
        if not user.is_authenticated or user.household_id is None:
            return self.none()
        return self.filter(household_id=user.household_id)

    def visible_to(self, user: User) -> BookingQuerySet:
        """What ``user`` may *read*: their household's bookings and, for staff who may view
        bookings in the admin, the bookings of the hubs they manage (every hub for a superuser or
        a fleet admin who manages none, as in :mod:`sharing.admin.scope`). Never use it to change
        a booking: see ``actionable_by``."""
        if not (user.is_authenticated and user.is_staff and user.has_perm("sharing.view_booking")):
            return self.of_household(user)
        if user.is_superuser:
            return self
        hub_ids = list(Hub.objects.filter(managers=user).values_list("pk", flat=True))
        if not hub_ids:
            return self
        in_scope = Q(hub_id__in=hub_ids)
        if user.household_id is not None:
            in_scope |= Q(household_id=user.household_id)
        return self.filter(in_scope)

    def actionable_by(self, user: User) -> BookingQuerySet:
        """What ``user`` may *change or cancel* on the resident pages and the API: their
        household's bookings only. Staff act on other households' bookings in the admin, within
        their hubs, where every change is logged."""
        return self.of_household(user)


class Booking(models.Model):
    """A resident's promise of a car at a hub for ``[start, end)`` with at least a given range.

    A booking is *confirmed* without a car; a car is *bound* shortly before start. The car's
    block ``[block_start, block_end)`` is ``[start - buffer, end + buffer)`` with the hub's
    turnaround buffer, read literally: the car is held ``buffer`` before the start (to get it
    ready) and ``buffer`` after the end (to bring it back and plug it in). Two blocks of one car
    never overlap, so consecutive bookings of one car keep ``2 x buffer`` between one's end and
    the next one's start (the scenario's ``min_turnaround_slots = ceil(2 x buffer / slot)``); the
    feasibility check (:mod:`sharing.feasibility`) applies the same rule to confirmed bookings.
    PostgreSQL enforces it for bound and active bookings.
    """

    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    household = models.ForeignKey(
        "accounts.Household", on_delete=models.PROTECT, related_name="bookings"
    )
    hub = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="bookings")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    block_start = models.DateTimeField(editable=False)
    block_end = models.DateTimeField(editable=False)
    promised_range_km = models.PositiveIntegerField(_("promised range (km)"))
    expected_km = models.PositiveIntegerField(_("expected distance (km)"))
    vehicle = models.ForeignKey(
        Vehicle, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED
    )
    price_estimate = models.DecimalField(
        _("price estimate"), max_digits=9, decimal_places=2, default=Decimal("0.00")
    )
    fee = models.DecimalField(_("fee"), max_digits=9, decimal_places=2, default=Decimal("0.00"))
    idempotency_key = models.CharField(  # noqa: DJ001 - NULL means "no key", kept out of the unique index
        max_length=100, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    late_since = models.DateTimeField(_("late since"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    late_notice_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [
            models.Index(fields=["hub", "start"], name="booking_hub_start"),
            models.Index(fields=["hub", "status", "end"], name="booking_hub_status_end"),
            models.Index(fields=["household", "status", "start"], name="booking_household_open"),
            models.Index(fields=["vehicle", "block_start"], name="booking_vehicle_block"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="booking_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(block_start__lte=models.F("start"), block_end__gte=models.F("end")),
                name="booking_block_covers_booking",
            ),
            models.CheckConstraint(
                condition=Q(expected_km__lte=models.F("promised_range_km")),
                name="booking_expected_within_promise",
            ),
            models.UniqueConstraint(
                fields=["resident", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="booking_unique_idempotency_key",
            ),
            ExclusionConstraint(
                name="booking_vehicle_no_overlap",
                index_type="GIST",
                expressions=[
                    (
                        TsTzRange("block_start", "block_end", RangeBoundary()),
                        RangeOperators.OVERLAPS,
                    ),
                    ("vehicle", RangeOperators.EQUAL),
                ],
                condition=Q(status__in=["bound", "active"], vehicle__isnull=False),
                violation_error_message=_("This car is already taken at that time."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.hub.slug} {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.hub.tz)


class BookingVehicleChange(models.Model):
    """History of which car a booking held and why it changed."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="vehicle_changes")
    old_vehicle = models.ForeignKey(
        Vehicle, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    new_vehicle = models.ForeignKey(
        Vehicle, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["booking", "at", "id"]
        verbose_name = _("car change")
        verbose_name_plural = _("car changes")

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.old_vehicle_id} → {self.new_vehicle_id}"


class Trip(models.Model):
    """What actually happened: pick-up and return of a booked car."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="trip")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="trips")
    picked_up_at = models.DateTimeField(_("picked up"))
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    odometer_out_km = models.PositiveIntegerField(_("odometer out (km)"))
    odometer_in_km = models.PositiveIntegerField(_("odometer in (km)"), null=True, blank=True)
    soc_out_percent = models.DecimalField(
        _("charge out (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    soc_in_percent = models.DecimalField(
        _("charge in (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    kwh_used = models.DecimalField(
        _("energy used (kWh)"), max_digits=7, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["-picked_up_at"]
        verbose_name = _("trip")
        verbose_name_plural = _("trips")

    def __str__(self) -> str:
        return f"trip of booking {self.booking_id}"

    @property
    def km(self) -> int | None:
        if self.odometer_in_km is None:
            return None
        return self.odometer_in_km - self.odometer_out_km


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


class FairUseOverride(models.Model):
    """A household's own fair-use limits, replacing the hub's where set (e.g. a care need)."""

    household = models.OneToOneField(
        "accounts.Household",
        on_delete=models.CASCADE,
        related_name="fair_use_override",
        verbose_name=_("household"),
    )
    max_concurrent_bookings = models.PositiveSmallIntegerField(
        _("open bookings"), null=True, blank=True, help_text=_("Empty: the hub's limit.")
    )
    max_hours_per_week = models.PositiveIntegerField(
        _("booked hours per week"), null=True, blank=True, help_text=_("Empty: the hub's limit.")
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["household"]
        verbose_name = _("fair-use override")
        verbose_name_plural = _("fair-use overrides")

    def __str__(self) -> str:
        return f"fair use of {self.household_id}"


class DamageReport(models.Model):
    """Damage a resident found on a shared car, at pick-up or return, with an optional photo.

    The photo is kept in the database, re-encoded as JPEG without its metadata (no location,
    no camera details), so it needs no media storage and leaves with the booking's other data.
    """

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="damage_reports", verbose_name=_("booking")
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, related_name="damage_reports", verbose_name=_("car")
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="damage_reports",
        verbose_name=_("reported by"),
    )
    description = models.TextField(_("what is damaged"), max_length=2000)
    photo = models.BinaryField(_("photo (JPEG)"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("reported"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("damage report")
        verbose_name_plural = _("damage reports")

    def __str__(self) -> str:
        return f"damage to {self.vehicle_id} reported on booking {self.booking_id}"
