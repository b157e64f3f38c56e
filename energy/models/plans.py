"""Dispatch runs and their plans: power and charge per car and slot, the car chosen per
booking, and the flexibility offered."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from energy.models.chargers import ChargingSession
from energy.models.site import EUR_PER_KWH, KW, ZERO


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
