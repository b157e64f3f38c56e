"""A grid operator's FlexSettlement as received: the message (once per MessageID) and, per
order it settles, the operator's figures next to the hub's own and the verdict sent back
(accepted or disputed), and for a dispute, when a fleet admin marked it resolved and who.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DsoSettlement(models.Model):
    """One FlexSettlement message from a grid operator; a copy with the same MessageID is
    answered from here and changes nothing."""

    operator = models.ForeignKey(
        "energy.GridOperator", on_delete=models.CASCADE, related_name="settlements"
    )
    message_id = models.UUIDField(unique=True)
    conversation_id = models.UUIDField(null=True, blank=True)
    period_start = models.DateField(_("first day"))
    period_end = models.DateField(_("last day"))
    currency = models.CharField(max_length=3)
    fingerprint = models.CharField(max_length=64)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("settlement from a grid operator")
        verbose_name_plural = _("settlements from grid operators")

    def __str__(self) -> str:
        return f"{self.operator} {self.period_start} to {self.period_end}"


class SettlementVerdict(models.TextChoices):
    ACCEPTED = "accepted", _("accepted")
    DISPUTED = "disputed", _("disputed")


class DsoOrderSettlement(models.Model):
    """The operator's settlement of one order, the hub's own figures at the time, and the
    verdict: accepted, or disputed with the reason sent to the operator."""

    settlement = models.ForeignKey(DsoSettlement, on_delete=models.CASCADE, related_name="orders")
    order = models.ForeignKey(
        "energy.GridOrder", on_delete=models.PROTECT, related_name="dso_settlements"
    )
    order_reference = models.CharField(max_length=64)
    price_eur = models.DecimalField(_("price (EUR)"), max_digits=12, decimal_places=4)
    penalty_eur = models.DecimalField(_("penalty (EUR)"), max_digits=12, decimal_places=4)
    net_eur = models.DecimalField(_("net settlement (EUR)"), max_digits=12, decimal_places=4)
    hub_income_eur = models.DecimalField(
        _("the hub's own income (EUR)"), max_digits=12, decimal_places=4
    )
    # Per ISP: the operator's figures and the hub's (see energy.grid.services.dso_settlement).
    isps = models.JSONField(default=list)
    verdict = models.CharField(_("verdict"), max_length=8, choices=SettlementVerdict.choices)
    dispute_reason = models.CharField(_("dispute reason"), max_length=500, blank=True)
    # A dispute is followed up outside UFTP (the operator is called, a corrected settlement is
    # agreed); a fleet admin then marks it resolved here (energy.grid.services.disputes).
    resolved_at = models.DateTimeField(_("dispute resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution_note = models.CharField(_("how it was resolved"), max_length=500, blank=True)

    class Meta:
        ordering = ["settlement", "order_reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["settlement", "order"], name="dso_order_settlement_once"
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True)
                | models.Q(verdict=SettlementVerdict.DISPUTED),
                name="dso_order_settlement_only_a_dispute_resolves",
            ),
        ]
        verbose_name = _("order settlement from a grid operator")
        verbose_name_plural = _("order settlements from grid operators")

    def __str__(self) -> str:
        return f"{self.order_reference}: {self.verdict}"

    @property
    def open_dispute(self) -> bool:
        return self.verdict == SettlementVerdict.DISPUTED and self.resolved_at is None
