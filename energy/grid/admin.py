"""Fleet admin for the grid side: grid operators, aggregators (with their API tokens), and the
prognoses, offers and orders exchanged with them. Registered from ``energy.admin``.

Offers, orders and prognoses are records of messages sent and received: read-only here.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import Field, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from energy.admin.views import HubDayForm, grid_day_chart
from energy.grid.day import grid_day
from energy.grid.measured import SOURCE_LABELS
from energy.grid.models import (
    Aggregator,
    CapacityEvent,
    DPrognosis,
    GridOffer,
    GridOfferSlot,
    GridOperator,
    GridOrder,
    GridOrderSlot,
    SiteMeter,
    VtnConnection,
)
from energy.grid.openadr import capacity_event_outcome
from energy.grid.services import aggregator_token_issue, site_meter_token_issue
from energy.grid.settlement import order_delivery, settlement_csv_rows
from energy.grid.settlement_admin import DsoOrderSettlementInline, OrderDisputeFilter, dispute_flag
from sharing.admin.reports import month_csv_view
from sharing.admin.scope import HubScopedAdmin, scope
from sharing.models import Hub


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(GridOperator)
class GridOperatorAdmin(admin.ModelAdmin[GridOperator]):
    list_display = ["name", "participant_domain", "endpoint_url", "active", "last_message_at"]
    list_filter = ["active"]
    search_fields = ["name", "participant_domain"]
    readonly_fields = ["last_message_at", "last_message"]

    def formfield_for_dbfield(
        self, db_field: Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "endpoint_url":
            kwargs["assume_scheme"] = "https"  # an operator's endpoint is HTTPS
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Aggregator)
class AggregatorAdmin(admin.ModelAdmin[Aggregator]):
    list_display = ["name", "active", "token_prefix", "created_at"]
    filter_horizontal = ["hubs"]
    readonly_fields = ["token_prefix", "created_at"]
    actions = ["issue_token"]

    @admin.action(description=_("Issue a new API token (the old one stops working)"))
    def issue_token(self, request: HttpRequest, queryset: QuerySet[Aggregator]) -> None:
        for aggregator in queryset:
            token = aggregator_token_issue(aggregator=aggregator)
            self.log_change(request, aggregator, "API token issued")
            self.message_user(
                request,
                _("Token for %(name)s (shown once, give it to them safely): %(token)s")
                % {"name": aggregator.name, "token": token},
                messages.WARNING,
            )


@admin.register(SiteMeter)
class SiteMeterAdmin(HubScopedAdmin):
    """A hub's connection meter: its token posts that hub's readings (``/api/grid/``)."""

    list_display = ["hub", "name", "active", "token_prefix", "last_reading_at"]
    list_filter = ["active"]
    list_select_related = ["hub"]
    readonly_fields = ["token_prefix", "created_at", "last_reading_at"]
    actions = ["issue_token"]

    @admin.action(description=_("Issue a new API token (the old one stops working)"))
    def issue_token(self, request: HttpRequest, queryset: QuerySet[SiteMeter]) -> None:
        for meter in queryset:
            token = site_meter_token_issue(meter=meter)
            self.log_change(request, meter, "API token issued")
            self.message_user(
                request,
                _("Token for the site meter of %(hub)s (shown once, keep it safe): %(token)s")
                % {"hub": meter.hub, "token": token},
                messages.WARNING,
            )


@admin.register(DPrognosis)
class DPrognosisAdmin(ReadOnly, HubScopedAdmin):
    list_display = ["hub", "operator", "period", "revision", "status", "created_at"]
    list_filter = ["status", "operator"]
    date_hierarchy = "period"
    exclude = ["isp_power_w"]
    readonly_fields = ["isp_table"]

    @admin.display(description=_("power per ISP (W, + import)"))
    def isp_table(self, obj: DPrognosis) -> str:
        return ", ".join(f"{i + 1}: {p}" for i, p in enumerate(obj.isp_power_w))


class GridOfferSlotInline(ReadOnly, admin.TabularInline[GridOfferSlot, GridOffer]):
    model = GridOfferSlot
    extra = 0
    can_delete = False


@admin.register(GridOffer)
class GridOfferAdmin(ReadOnly, HubScopedAdmin):
    list_display = ["hub", "period", "direction", "price_eur", "buyer", "status", "expires_at"]
    list_filter = ["status", "direction", "operator", "aggregator"]
    list_select_related = ["hub", "operator", "aggregator"]
    date_hierarchy = "period"
    inlines = [GridOfferSlotInline]


class GridOrderSlotInline(ReadOnly, admin.TabularInline[GridOrderSlot, GridOrder]):
    model = GridOrderSlot
    extra = 0
    can_delete = False
    exclude = ["hub"]


@admin.register(GridOrder)
class GridOrderAdmin(ReadOnly, HubScopedAdmin):
    list_display = [
        "message_id",
        "hub",
        "period",
        "source",
        "price_eur",
        "delivered",
        "income",
        "settled_by_operator",
        "accepted_at",
    ]
    list_filter = [OrderDisputeFilter, "source"]
    list_select_related = ["offer__hub"]
    date_hierarchy = "accepted_at"
    inlines = [GridOrderSlotInline, DsoOrderSettlementInline]
    readonly_fields = ["delivery_table"]
    change_list_template = "admin/energy/gridorder/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "settlement/",
                self.admin_site.admin_view(self.settlement_view),
                name="energy_gridorder_settlement",
            ),
            path("day/", self.admin_site.admin_view(self.day_view), name="energy_gridorder_day"),
        ]
        return own + super().get_urls()

    def day_view(self, request: HttpRequest) -> HttpResponse:
        """One hub's grid day: baseline, offered band, ordered deviation and measured net."""
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        form = HubDayForm(request.GET or None, request=request)
        day = None
        if form.is_valid():
            day = grid_day(hub=form.cleaned_data["hub"], day=form.cleaned_data["day"])
        context = {
            **self.admin_site.each_context(request),
            "title": _("Grid day per hub"),
            "opts": self.model._meta,
            "form": form,
            "day": day,
            "chart": grid_day_chart(day) if day else None,
        }
        return TemplateResponse(request, "admin/energy/gridorder/day.html", context)

    def settlement_view(self, request: HttpRequest) -> HttpResponseBase:
        return month_csv_view(
            self,
            request,
            title=_("Flexibility orders: delivery and income per month (CSV)"),
            prefix="flex-settlement",
            rows=lambda first: settlement_csv_rows(scope(Hub.objects.all(), request), first),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("dso_settlements")

    @admin.display(description=_("operator's settlement"))
    def settled_by_operator(self, obj: GridOrder) -> str:
        return dispute_flag(obj)

    @admin.display(description=_("delivered"))
    def delivered(self, obj: GridOrder) -> str:
        return f"{order_delivery(obj).delivered_share:.0%}"

    @admin.display(description=_("income (EUR)"))
    def income(self, obj: GridOrder) -> str:
        return str(order_delivery(obj).income_eur)

    @admin.display(
        description=_("delivery per ISP (W): ordered / delivered / deficiency (measured by)")
    )
    def delivery_table(self, obj: GridOrder) -> str:
        by = SOURCE_LABELS
        return "; ".join(
            f"ISP {i.isp}: {i.ordered_w} / "
            f"{'-' if i.delivered_w is None else i.delivered_w} / {i.deficiency_w} "
            f"({by[i.source]})"
            for i in order_delivery(obj).isps
        )

    @admin.display(description=_("hub"))
    def hub(self, obj: GridOrder) -> str:
        return str(obj.offer.hub)

    @admin.display(description=_("day"))
    def period(self, obj: GridOrder) -> str:
        return str(obj.offer.period)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an accepted order is a contract


@admin.register(VtnConnection)
class VtnConnectionAdmin(HubScopedAdmin):
    """The hub's VEN account at its grid operator's OpenADR 3 VTN; secrets stay in the
    environment (the form names the variables)."""

    list_display = ["hub", "ven_name", "base_url", "active", "last_ok_at", "last_message"]
    list_filter = ["active"]
    list_select_related = ["hub"]
    readonly_fields = ["last_poll_at", "last_ok_at", "last_message"]


@admin.register(CapacityEvent)
class CapacityEventAdmin(ReadOnly, HubScopedAdmin):
    """Each capacity limit received, and what the next plan did about it."""

    list_display = [
        "event_id",
        "hub",
        "program_name",
        "payload_type",
        "starts_at",
        "ends_at",
        "status",
        "received_at",
        "band_kept",
    ]
    list_filter = ["status", "payload_type"]
    list_select_related = ["connection__hub"]
    date_hierarchy = "starts_at"
    search_fields = ["event_id", "event_name", "program_name"]
    exclude = ["intervals", "raw"]
    readonly_fields = ["interval_table", "plan_after", "band_kept", "raw_json"]

    @admin.display(description=_("hub"))
    def hub(self, obj: CapacityEvent) -> str:
        return str(obj.connection.hub)

    @admin.display(description=_("intervals (kW)"))
    def interval_table(self, obj: CapacityEvent) -> str:
        return "; ".join(f"{i['start']} to {i['end']}: {i['value_kw']}" for i in obj.intervals)

    @admin.display(description=_("plan that followed"))
    def plan_after(self, obj: CapacityEvent) -> str:
        run = capacity_event_outcome(obj).run
        if run is None:
            return "-"
        url = reverse("admin:energy_dispatchrun_change", args=[run.pk])
        return format_html('<a href="{}">{} {}</a>', url, _("run"), run.pk)

    @admin.display(description=_("band kept"))
    def band_kept(self, obj: CapacityEvent) -> str:
        outcome = capacity_event_outcome(obj)
        word = {True: _("yes"), False: _("no"), None: _("unknown")}[outcome.kept]
        return f"{word}: {outcome.note}"

    @admin.display(description=_("the event as the VTN sent it"))
    def raw_json(self, obj: CapacityEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.raw, indent=2))
