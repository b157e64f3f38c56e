"""Fleet admin for the grid operators' FlexSettlements: each order's settlement with the
operator's figures beside the hub's own, the disputed ones to follow up (a list filter and a
flag, also on the orders' list), and the action that marks a dispute resolved (who and when,
``energy.grid.services.dso_dispute_resolve``). Imported by ``energy.grid.admin``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User
from energy.grid.measured import SOURCE_LABELS
from energy.grid.models import DsoOrderSettlement, GridOrder, SettlementVerdict
from energy.grid.services import dso_dispute_resolve
from sharing.admin.scope import HubScopedAdmin

OPEN = "open"
RESOLVED = "resolved"


def open_disputes() -> QuerySet[DsoOrderSettlement]:
    return DsoOrderSettlement.objects.filter(
        verdict=SettlementVerdict.DISPUTED, resolved_at__isnull=True
    )


class DisputeFilter(admin.SimpleListFilter):
    title = _("dispute")
    parameter_name = "dispute"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(OPEN, pgettext_lazy("dispute", "open")), (RESOLVED, _("resolved"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == OPEN:
            return queryset.filter(verdict=SettlementVerdict.DISPUTED, resolved_at__isnull=True)
        if self.value() == RESOLVED:
            return queryset.filter(verdict=SettlementVerdict.DISPUTED, resolved_at__isnull=False)
        return queryset


class OrderDisputeFilter(admin.SimpleListFilter):
    """On the orders' list: orders with a settlement the hub disputed and nobody resolved."""

    title = _("settlement by the grid operator")
    parameter_name = "settlement"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(OPEN, _("dispute open"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == OPEN:
            return queryset.filter(Exists(open_disputes().filter(order=OuterRef("pk"))))
        return queryset


def dispute_flag(order: GridOrder) -> str:
    """For the orders' list: "disputed" while a dispute of the order is open."""
    rows = order.dso_settlements.all()
    if any(r.open_dispute for r in rows):
        return str(_("disputed: open"))
    if any(r.verdict == SettlementVerdict.DISPUTED for r in rows):
        return str(_("disputed: resolved"))
    if rows:
        return str(_("accepted"))
    return "-"


def isp_comparison(obj: DsoOrderSettlement) -> str:
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                i["isp"],
                i.get("dso_actual_w", "-"),
                "-" if i.get("hub_measured_w") is None else i["hub_measured_w"],
                SOURCE_LABELS.get(i.get("measured_by") or "", "-"),
                i["dso_deficiency_w"],
                i["hub_deficiency_w"],
                i["dso_delivered_w"],
            )
            for i in obj.isps
        ),
    )
    head = format_html(
        "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        _("ISP"),
        _("operator's actual (W)"),
        _("measured by the hub (W)"),
        _("measured by"),
        _("operator's deficiency (W)"),
        _("the hub's deficiency (W)"),
        _("operator's delivered (W)"),
    )
    return format_html('<table class="dispute-isps">{}{}</table>', head, rows)


class ResolveForm(ActionForm):
    note = forms.CharField(
        label=_("How it was resolved"),
        required=False,
        max_length=500,
        help_text=_("Kept with the dispute when you mark it resolved."),
    )


@admin.register(DsoOrderSettlement)
class DsoOrderSettlementAdmin(HubScopedAdmin):
    """Each order a grid operator settled; disputes open until a fleet admin resolves them."""

    list_display = [
        "order_reference",
        "hub",
        "operator",
        "received",
        "verdict",
        "dispute",
        "net_eur",
        "hub_income_eur",
        "resolved_at",
        "resolved_by",
    ]
    list_filter = [DisputeFilter, "verdict", "settlement__operator"]
    list_select_related = ["order__offer__hub", "settlement__operator", "resolved_by"]
    search_fields = ["order_reference", "dispute_reason"]
    exclude = ["isps"]
    readonly_fields = [
        "settlement",
        "order",
        "order_reference",
        "price_eur",
        "penalty_eur",
        "net_eur",
        "hub_income_eur",
        "verdict",
        "dispute_reason",
        "isp_table",
        "resolved_at",
        "resolved_by",
        "resolution_note",
    ]
    action_form = ResolveForm
    actions = ["resolve_dispute"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a record of what the operator sent and what was answered

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("energy.change_dsoordersettlement")

    @admin.action(description=_("Mark the dispute resolved"), permissions=["resolve"])
    def resolve_dispute(self, request: HttpRequest, queryset: QuerySet[DsoOrderSettlement]) -> None:
        assert isinstance(request.user, User)
        note = request.POST.get("note", "")
        resolved = skipped = 0
        for row in queryset:
            if dso_dispute_resolve(order_settlement=row, user=request.user, note=note):
                self.log_change(
                    request, row, f"Dispute resolved: {note}" if note else "Dispute resolved"
                )
                resolved += 1
            else:
                skipped += 1
        if resolved:
            self.message_user(
                request, _("%(n)d dispute(s) marked resolved.") % {"n": resolved}, messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request,
                _("%(n)d not changed: not a dispute, or resolved already.") % {"n": skipped},
                messages.WARNING,
            )

    @admin.display(description=_("hub"))
    def hub(self, obj: DsoOrderSettlement) -> str:
        return str(obj.order.offer.hub)

    @admin.display(description=_("grid operator"))
    def operator(self, obj: DsoOrderSettlement) -> str:
        return str(obj.settlement.operator)

    @admin.display(description=_("received"))
    def received(self, obj: DsoOrderSettlement) -> Any:
        return obj.settlement.received_at

    @admin.display(description=_("dispute"))
    def dispute(self, obj: DsoOrderSettlement) -> str:
        if obj.verdict != SettlementVerdict.DISPUTED:
            return "-"
        return str(pgettext_lazy("dispute", "open") if obj.resolved_at is None else _("resolved"))

    @admin.display(description=_("per ISP: the operator's figures beside the hub's"))
    def isp_table(self, obj: DsoOrderSettlement) -> str:
        return isp_comparison(obj)


class DsoOrderSettlementInline(admin.TabularInline[DsoOrderSettlement, GridOrder]):
    """The grid operator's FlexSettlement of the order, beside the hub's own figures."""

    model = DsoOrderSettlement
    extra = 0
    can_delete = False
    verbose_name = _("settlement by the grid operator")
    verbose_name_plural = _("settlements by the grid operator")
    fields = readonly_fields = (
        "received",
        "price_eur",
        "penalty_eur",
        "net_eur",
        "hub_income_eur",
        "verdict",
        "dispute_reason",
        "resolved_at",
        "resolved_by",
        "resolution_note",
        "isp_table",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("received"))
    def received(self, obj: DsoOrderSettlement) -> str:
        return f"{obj.settlement.received_at:%Y-%m-%d %H:%M} ({obj.settlement.message_id})"

    @admin.display(description=_("per ISP: the operator's figures beside the hub's"))
    def isp_table(self, obj: DsoOrderSettlement) -> str:
        return isp_comparison(obj)
