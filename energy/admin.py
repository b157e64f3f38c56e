"""Fleet admin for the energy side: sites, chargers, residents' cars, prices, runs and offers."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from energy.models import (
    BaseLoadProfile,
    ChargeLevelReading,
    Charger,
    ChargingSession,
    CloudinessForecast,
    DispatchRun,
    FlexOffer,
    FlexPriceSlot,
    PriceSlot,
    PrivateCar,
    PvSystem,
    Site,
)


class PvSystemInline(admin.TabularInline):
    model = PvSystem
    extra = 0


class BaseLoadInline(admin.StackedInline):
    model = BaseLoadProfile
    extra = 0


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = [
        "hub",
        "ean",
        "grid_import_limit_kw",
        "grid_export_limit_kw",
        "homes",
        "cloudiness_factor",
        "offers_flexibility",
    ]
    list_editable = ["cloudiness_factor"]
    list_select_related = ["hub"]
    search_fields = ["hub__name", "ean"]
    inlines = [PvSystemInline, BaseLoadInline]


@admin.register(Charger)
class ChargerAdmin(admin.ModelAdmin):
    list_display = [
        "ocpp_id",
        "bay",
        "protocol",
        "status",
        "ac_charge_kw",
        "ac_discharge_kw",
        "bidirectional",
        "last_message_at",
        "current_setpoint_kw",
    ]
    list_filter = ["status", "protocol", "bidirectional", "bay__hub"]
    list_select_related = ["bay__hub"]
    search_fields = ["ocpp_id", "bay__label"]
    exclude = ["auth_password_hash"]


@admin.register(ChargeLevelReading)
class ChargeLevelReadingAdmin(admin.ModelAdmin):
    list_display = ["vehicle", "soc_kwh", "measured_at", "source"]
    list_filter = ["source", "vehicle__hub"]
    list_select_related = ["vehicle__model"]
    search_fields = ["vehicle__plate"]
    date_hierarchy = "measured_at"


@admin.register(PrivateCar)
class PrivateCarAdmin(admin.ModelAdmin):
    list_display = ["plate", "owner", "battery_kwh", "max_charge_kw", "may_feed_back", "floor_kwh"]
    list_filter = ["may_feed_back"]
    list_select_related = ["owner"]
    search_fields = ["plate", "owner__email", "owner__pseudonym"]
    raw_id_fields = ["owner"]


@admin.register(ChargingSession)
class ChargingSessionAdmin(admin.ModelAdmin):
    list_display = [
        "car",
        "bay",
        "plugged_in_at",
        "departure_at",
        "target_soc_kwh",
        "allow_feed_back",
        "status",
    ]
    list_filter = ["status", "allow_feed_back", "bay__hub"]
    list_select_related = ["car", "bay"]
    search_fields = ["car__plate"]
    date_hierarchy = "plugged_in_at"


@admin.register(PriceSlot)
class PriceSlotAdmin(admin.ModelAdmin):
    list_display = ["area", "start", "day_ahead_eur_per_kwh", "source", "imported_at"]
    list_filter = ["area", "source"]
    date_hierarchy = "start"


@admin.register(FlexPriceSlot)
class FlexPriceSlotAdmin(admin.ModelAdmin):
    list_display = ["area", "start", "up_eur_per_kw", "down_eur_per_kw"]
    list_filter = ["area"]
    date_hierarchy = "start"


@admin.register(CloudinessForecast)
class CloudinessForecastAdmin(admin.ModelAdmin):
    list_display = ["site", "start", "factor"]
    list_filter = ["site"]
    date_hierarchy = "start"


@admin.register(DispatchRun)
class DispatchRunAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "hub",
        "status",
        "is_current",
        "trigger",
        "solver",
        "solver_seconds",
        "score_eur",
        "gap",
        "fallback_used",
    ]
    list_filter = ["status", "is_current", "fallback_used", "hub"]
    list_select_related = ["hub"]
    date_hierarchy = "created_at"
    actions = ["replan_hubs"]
    readonly_fields = [f.name for f in DispatchRun._meta.fields] + ["downloads"]
    exclude = ["scenario", "plan"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("documents"))
    def downloads(self, obj: DispatchRun) -> str:
        return format_html(
            '<a href="{}">scenario.json</a> · <a href="{}">plan.json</a>',
            reverse("admin:energy_dispatchrun_document", args=[obj.pk, "scenario"]),
            reverse("admin:energy_dispatchrun_document", args=[obj.pk, "plan"]),
        )

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:pk>/<str:which>.json",
                self.admin_site.admin_view(self.document_view),
                name="energy_dispatchrun_document",
            )
        ]
        return own + super().get_urls()

    def document_view(self, request: HttpRequest, pk: int, which: str) -> HttpResponse:
        run = get_object_or_404(DispatchRun, pk=pk)
        if which not in {"scenario", "plan"} or not self.has_view_permission(request, run):
            return HttpResponse(status=404)
        body = json.dumps(getattr(run, which), indent=1)
        response = HttpResponse(body, content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="run-{run.pk}-{which}.json"'
        return response

    @admin.action(description=_("Re-plan the hubs of the selected runs now"))
    def replan_hubs(self, request: HttpRequest, queryset: QuerySet[DispatchRun]) -> HttpResponse:
        from energy.services.replan import replan_request

        hub_ids = sorted(set(queryset.values_list("hub_id", flat=True)))
        for hub_id in hub_ids:
            replan_request(hub_id=hub_id, reason="manual (admin)")
        self.message_user(
            request, _("Re-plan queued for %(n)d hub(s).") % {"n": len(hub_ids)}, messages.SUCCESS
        )
        return HttpResponseRedirect(request.get_full_path())


@admin.register(FlexOffer)
class FlexOfferAdmin(admin.ModelAdmin):
    list_display = [
        "hub",
        "start",
        "up_kw",
        "down_kw",
        "up_eur_per_kw",
        "down_eur_per_kw",
        "status",
        "income",
    ]
    list_filter = ["status", "hub"]
    list_select_related = ["hub"]
    date_hierarchy = "start"

    @admin.display(description=_("income (EUR)"))
    def income(self, obj: FlexOffer) -> str:
        return f"{obj.income_eur:.2f}"
