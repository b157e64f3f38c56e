"""The flexibility trade's tables: the grid operators (UFTP DSOs) and aggregators the hub sells
to, the D-Prognoses sent, the offers and orders with their ISP slots, and the per-ISP charger
power the settlement reads. Powers are whole watts with the UFTP sign (positive: the hub
imports).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DOMAIN_RE = r"^([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}$"  # UFTP's SenderDomain pattern


def validate_public_key(value: str) -> None:
    """An Ed25519 public key in base64, as UFTP publishes them (32 bytes)."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(_("Not base64.")) from None
    if len(raw) != 32:
        raise ValidationError(_("An Ed25519 public key is 32 bytes (44 base64 characters)."))


class GridOperator(models.Model):
    """A DSO the hub operator trades flexibility with over UFTP (configured by fleet admins)."""

    name = models.CharField(_("name"), max_length=120)
    participant_domain = models.CharField(
        _("participant domain"),
        max_length=120,
        unique=True,
        validators=[RegexValidator(DOMAIN_RE, _("A lower-case internet domain."))],
        help_text=_("The operator's UFTP SenderDomain, e.g. dso.example.nl."),
    )
    endpoint_url = models.URLField(
        _("endpoint URL"), help_text=_("Where UFTP messages to this operator are posted.")
    )
    public_key = models.CharField(
        _("public signing key (base64)"),
        max_length=64,
        validators=[validate_public_key],
        help_text=_("The operator's Ed25519 key; messages not signed with it are refused."),
    )
    active = models.BooleanField(_("active"), default=True)
    min_prognosis_interval_seconds = models.PositiveIntegerField(
        _("D-Prognosis at most every (seconds)"),
        default=300,
        help_text=_("The operator's rule: how often a connection may send a new prognosis."),
    )
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    last_message = models.CharField(_("last message"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("grid operator (DSO)")
        verbose_name_plural = _("grid operators (DSOs)")

    def __str__(self) -> str:
        return f"{self.name} ({self.participant_domain})"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Aggregator(models.Model):
    """A flexibility buyer that is not a DSO and uses the API (its own token, its own hubs).

    It is not a user: its token authenticates only the grid API, never a resident's page or
    endpoint, and nothing it can read names a resident.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    hubs = models.ManyToManyField("sharing.Hub", related_name="aggregators", blank=True)
    active = models.BooleanField(_("active"), default=True)
    token_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    token_prefix = models.CharField(_("token starts with"), max_length=8, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("aggregator (API counterparty)")
        verbose_name_plural = _("aggregators (API counterparties)")

    def __str__(self) -> str:
        return self.name

    # DRF treats the authenticated principal as its request.user.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False


class PrognosisStatus(models.TextChoices):
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")
    FAILED = "failed", _("not delivered")


class DPrognosis(models.Model):
    """One revision of a connection's D-Prognosis for one day, as sent to a grid operator."""

    hub = models.ForeignKey("sharing.Hub", on_delete=models.CASCADE, related_name="prognoses")
    operator = models.ForeignKey(GridOperator, on_delete=models.CASCADE, related_name="prognoses")
    period = models.DateField(_("day"))
    revision = models.PositiveIntegerField()
    message_id = models.UUIDField(unique=True)
    run = models.ForeignKey(
        "energy.DispatchRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    day_start = models.DateTimeField()
    isp_power_w = models.JSONField(_("power per ISP (W, + import)"))
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=PrognosisStatus.choices, default=PrognosisStatus.SENDING
    )
    rejection_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["hub", "operator", "period", "revision"], name="d_prognosis_revision"
            )
        ]
        verbose_name = _("D-Prognosis")
        verbose_name_plural = _("D-Prognoses")

    def __str__(self) -> str:
        return f"{self.hub} {self.period} r{self.revision}"


class FlexDirection(models.TextChoices):
    UP = "up", _("up (less import)")
    DOWN = "down", _("down (more import)")


class GridOfferStatus(models.TextChoices):
    OPEN = "open", _("open")
    ORDERED = "ordered", _("ordered")
    REJECTED = "rejected", _("rejected by the buyer")


class GridOffer(models.Model):
    """A FlexOffer sent to a grid operator (UFTP) or made to an aggregator (API)."""

    hub = models.ForeignKey("sharing.Hub", on_delete=models.CASCADE, related_name="grid_offers")
    operator = models.ForeignKey(
        GridOperator, null=True, blank=True, on_delete=models.CASCADE, related_name="offers"
    )
    aggregator = models.ForeignKey(
        Aggregator, null=True, blank=True, on_delete=models.CASCADE, related_name="offers"
    )
    message_id = models.UUIDField(unique=True)
    conversation_id = models.UUIDField()
    flex_request_message_id = models.UUIDField(null=True, blank=True)
    d_prognosis = models.ForeignKey(
        DPrognosis, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    run = models.ForeignKey(
        "energy.DispatchRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    period = models.DateField(_("day"))
    congestion_point = models.CharField(max_length=64)
    direction = models.CharField(max_length=4, choices=FlexDirection.choices)
    option_reference = models.CharField(max_length=64)
    price_eur = models.DecimalField(_("price (EUR)"), max_digits=12, decimal_places=4)
    expires_at = models.DateTimeField(_("valid until"))
    status = models.CharField(
        max_length=10, choices=GridOfferStatus.choices, default=GridOfferStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(operator__isnull=True) ^ models.Q(aggregator__isnull=True),
                name="grid_offer_one_buyer",
            )
        ]
        verbose_name = _("grid flexibility offer")
        verbose_name_plural = _("grid flexibility offers")

    def __str__(self) -> str:
        return f"{self.hub} {self.period} {self.direction} {self.message_id}"

    @property
    def buyer(self) -> GridOperator | Aggregator | None:
        return self.operator or self.aggregator

    def is_expired(self, now: object = None) -> bool:
        return (now or timezone.now()) >= self.expires_at  # type: ignore[operator]


class GridOfferSlot(models.Model):
    """One ISP of an offer: the deviation offered from the baseline."""

    offer = models.ForeignKey(GridOffer, on_delete=models.CASCADE, related_name="slots")
    isp = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    start = models.DateTimeField()
    power_w = models.IntegerField()
    baseline_w = models.IntegerField()
    # The chargers' part of the baseline (the rest, homes less PV, is not metered here).
    fleet_w = models.IntegerField(default=0)

    class Meta:
        ordering = ["offer", "isp"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "isp"], name="grid_offer_slot_unique_isp")
        ]

    def __str__(self) -> str:
        return f"ISP {self.isp}: {self.power_w} W"


class GridOrder(models.Model):
    """An accepted FlexOrder. An offer is ordered at most once (the database says so), and
    one message id is applied at most once: a retried order is answered, not applied again."""

    offer = models.OneToOneField(GridOffer, on_delete=models.PROTECT, related_name="order")
    message_id = models.UUIDField(unique=True)
    source = models.CharField(max_length=8, choices=[("uftp", "UFTP"), ("api", "API")])
    order_reference = models.CharField(max_length=64, blank=True)
    price_eur = models.DecimalField(_("price (EUR)"), max_digits=12, decimal_places=4)
    fingerprint = models.CharField(max_length=64)
    accepted_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-accepted_at"]
        verbose_name = _("grid flexibility order")
        verbose_name_plural = _("grid flexibility orders")

    def __str__(self) -> str:
        return f"order {self.message_id} on {self.offer}"


class GridOrderSlot(models.Model):
    """One ISP of an accepted order: the deviation to deliver from the baseline."""

    order = models.ForeignKey(GridOrder, on_delete=models.CASCADE, related_name="slots")
    hub = models.ForeignKey("sharing.Hub", on_delete=models.CASCADE, related_name="+")
    isp = models.PositiveSmallIntegerField()
    start = models.DateTimeField()
    power_w = models.IntegerField()
    baseline_w = models.IntegerField()
    fleet_w = models.IntegerField(default=0)

    class Meta:
        ordering = ["order", "isp"]
        indexes = [models.Index(fields=["hub", "start"])]

    def __str__(self) -> str:
        return f"ISP {self.isp}: {self.power_w} W"


class ChargerIspPower(models.Model):
    """The chargers' meter values, summed per ISP: their mean is the ISP's measured power
    (positive charging, negative feeding back). Settlement reads these."""

    charger = models.ForeignKey("energy.Charger", on_delete=models.CASCADE, related_name="+")
    hub = models.ForeignKey("sharing.Hub", on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    power_sum_kw = models.FloatField(default=0.0)
    samples = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["charger", "start"], name="charger_isp_power_unique")
        ]
        indexes = [models.Index(fields=["hub", "start"])]

    def __str__(self) -> str:
        return f"{self.charger_id} {self.start:%Y-%m-%d %H:%M}"

    @property
    def mean_kw(self) -> float:
        return self.power_sum_kw / self.samples if self.samples else 0.0
