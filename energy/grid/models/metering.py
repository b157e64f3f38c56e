"""The site meter: the connection's own meter, where one is connected, reporting the net power
at the grid connection (positive: the hub imports). A meter reports with its own API token
(``SiteMeter``), each reading is kept once per reading time (``SiteMeterReading``), and the
readings are summed per ISP (``SiteIspPower``) for the settlement, like the chargers' meter
values (``ChargerIspPower``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SiteMeter(models.Model):
    """A hub's connection meter as an API principal: its token writes that hub's readings
    only. Like an aggregator it is not a user and can read nothing."""

    hub = models.OneToOneField(
        "sharing.Hub", on_delete=models.CASCADE, related_name="site_meter", verbose_name=_("hub")
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    active = models.BooleanField(_("active"), default=True)
    token_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    token_prefix = models.CharField(_("token starts with"), max_length=8, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_reading_at = models.DateTimeField(_("last reading"), null=True, blank=True)

    class Meta:
        verbose_name = _("site meter")
        verbose_name_plural = _("site meters")

    def __str__(self) -> str:
        return self.name or f"{self.hub}"

    # DRF treats the authenticated principal as its request.user.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False


class SiteMeterReading(models.Model):
    """One reading of the connection's net power, kept once per hub and reading time: a
    reading sent again (a retried batch, a re-imported file) changes nothing."""

    hub = models.ForeignKey("sharing.Hub", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    net_kw = models.FloatField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hub", "at"], name="site_meter_reading_unique_time")
        ]

    def __str__(self) -> str:
        return f"{self.hub_id} {self.at:%Y-%m-%d %H:%M:%S} {self.net_kw} kW"


class SiteIspPower(models.Model):
    """The site meter's readings summed per ISP: their mean is the ISP's measured net power at
    the connection (positive import). Where a row exists the settlement uses it instead of the
    chargers-only estimate."""

    hub = models.ForeignKey("sharing.Hub", on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    power_sum_kw = models.FloatField(default=0.0)
    samples = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hub", "start"], name="site_isp_power_unique")
        ]

    def __str__(self) -> str:
        return f"{self.hub_id} {self.start:%Y-%m-%d %H:%M}"

    @property
    def mean_kw(self) -> float:
        return self.power_sum_kw / self.samples if self.samples else 0.0
