"""Grid operators, aggregator counterparties, and what the hub sent them and agreed with them.

Imported by ``energy.models`` (the app's model module), so the tables belong to ``energy``.
Powers here are whole watts with the UFTP sign (positive: the hub imports); see
``energy.grid``.
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


# --- OpenADR 3: the hub as a VEN of its grid operator's VTN ------------------------------

ENV_NAME_RE = r"^[A-Z_][A-Z0-9_]*$"


class VtnConnection(models.Model):
    """The hub's VEN account at its grid operator's OpenADR 3 VTN (polled for events).

    Secrets are never stored: the fields name the environment variables that hold them.
    """

    hub = models.OneToOneField("sharing.Hub", on_delete=models.CASCADE, related_name="vtn")
    base_url = models.URLField(
        _("VTN base URL"), help_text=_("The VTN's OpenADR 3 API root, e.g. https://vtn.dso.nl/oa3.")
    )
    ven_name = models.CharField(_("VEN name"), max_length=120)
    client_id = models.CharField(
        _("client id"), max_length=120, blank=True, help_text=_("For OAuth client credentials.")
    )
    client_secret_env = models.CharField(
        _("client secret: environment variable"),
        max_length=64,
        blank=True,
        validators=[RegexValidator(ENV_NAME_RE, _("An environment variable name."))],
        help_text=_("The variable holding the OAuth client secret (never stored here)."),
    )
    bearer_token_env = models.CharField(
        _("bearer token: environment variable"),
        max_length=64,
        blank=True,
        validators=[RegexValidator(ENV_NAME_RE, _("An environment variable name."))],
        help_text=_("Instead of OAuth: the variable holding a fixed bearer token."),
    )
    program_name = models.CharField(
        _("program"), max_length=120, blank=True, help_text=_("Only this program's events.")
    )
    active = models.BooleanField(_("active"), default=True)
    last_poll_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    last_ok_at = models.DateTimeField(_("last successful poll"), null=True, blank=True)
    last_message = models.CharField(_("last message"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("VTN connection (OpenADR 3)")
        verbose_name_plural = _("VTN connections (OpenADR 3)")

    def __str__(self) -> str:
        return f"{self.ven_name} at {self.base_url}"

    def clean(self) -> None:
        oauth = bool(self.client_id and self.client_secret_env)
        if not oauth and not self.bearer_token_env:
            raise ValidationError(
                _("Name the bearer token's variable, or a client id and its secret's variable.")
            )


class CapacityPayload(models.TextChoices):
    # OpenADR 3.0 payload types (kW unless the event's payload descriptor says otherwise)
    IMPORT = "IMPORT_CAPACITY_LIMIT", _("import capacity limit")
    EXPORT = "EXPORT_CAPACITY_LIMIT", _("export capacity limit")


class CapacityEventStatus(models.TextChoices):
    ACTIVE = "active", _("limiting")
    SUPERSEDED = "superseded", _("replaced by a newer modification")
    CANCELLED = "cancelled", _("withdrawn by the VTN")
    EXPIRED = "expired", _("over")


class CapacityEvent(models.Model):
    """One modification of one VTN event's capacity limit of one kind, as received.

    OpenADR 3 events carry no modification number: ``modification`` is the event's
    ``modificationDateTime`` (or a digest of its content when the VTN sends none), so a
    re-poll of the same version changes nothing and a newer version supersedes this one.
    """

    connection = models.ForeignKey(VtnConnection, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(_("VTN event id"), max_length=128)
    modification = models.CharField(_("modification"), max_length=80)
    program_id = models.CharField(_("program id"), max_length=128)
    program_name = models.CharField(_("program"), max_length=120, blank=True)
    event_name = models.CharField(_("event name"), max_length=200, blank=True)
    payload_type = models.CharField(max_length=32, choices=CapacityPayload.choices)
    # [{"start": ISO UTC, "end": ISO UTC, "value_kw": float}], in the event's order
    intervals = models.JSONField(_("intervals"))
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=CapacityEventStatus.choices, default=CapacityEventStatus.ACTIVE
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    raw = models.JSONField(_("the event as sent"), default=dict)

    class Meta:
        ordering = ["-received_at", "event_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "event_id", "modification", "payload_type"],
                name="capacity_event_version",
            )
        ]
        indexes = [models.Index(fields=["connection", "status", "ends_at"])]
        verbose_name = _("capacity event (OpenADR 3)")
        verbose_name_plural = _("capacity events (OpenADR 3)")

    def __str__(self) -> str:
        return f"{self.event_id} {self.payload_type} ({self.modification})"
