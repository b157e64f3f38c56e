"""A hub's site: its grid connection, PV systems and the homes' base load."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
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
