"""Trips (a booking picked up and returned, with the car's readings) and damage reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sharing.models.bookings import Booking
from sharing.models.hubs import Vehicle


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
