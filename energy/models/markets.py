"""What the hub buys and sells at: day-ahead and flexibility prices, the cloudiness forecast
and the grid's carbon intensity."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from energy.models.site import EUR_PER_KWH, ZERO, Site


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
