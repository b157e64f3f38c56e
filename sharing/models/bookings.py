"""Bookings: their statuses, the queries over them, a booking's car changes and the fair-use
limits a household may have instead of its hub's.

The database keeps two bookings of one car from overlapping (:class:`TsTzRange` in an exclusion
constraint); the application checks only give the friendly message.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from sharing.models.hubs import Hub, Vehicle


class TsTzRange(Func):
    """``tstzrange(lower, upper, '[)')``: the half-open block range used by the constraint."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


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
