"""OpenADR 3: the hub as a VEN of its grid operator's VTN: the connection polled for events and
the capacity events kept from it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
