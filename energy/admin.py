"""Fleet admin for the energy side: sites, chargers, residents' cars, prices, runs and offers.

Hub-bound pages are scoped to a hub manager's hubs (``sharing.admin.scope``); the hub page gets
a "re-plan now" button here, since only ``energy`` may ask for a plan.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from energy.admin_views import (
    HubDayForm,
    PriceUploadForm,
    energy_csv_rows,
    flex_day,
    run_page,
)
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
from energy.prices import PriceFileError
from energy.services.chargers import charger_password_set, charger_password_validate
from energy.services.prices import prices_import
from energy.services.replan import replan_request
from sharing.admin.fleet import HubAdmin
from sharing.admin.scope import HubScopedAdmin, scope
from sharing.admin.views import MonthForm, stream_csv
from sharing.models import Hub

admin.site.unregister(Hub)


@admin.register(Hub)
class EnergyHubAdmin(HubAdmin):
    """The hub with a "re-plan this hub now" button."""

    change_form_template = "admin/energy/hub/change_form.html"

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:pk>/replan/",
                self.admin_site.admin_view(self.replan_view),
                name="sharing_hub_replan",
            )
        ]
        return own + super().get_urls()

    def replan_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        hub = get_object_or_404(scope(Hub.objects.all(), request), pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, hub):
            return HttpResponse(status=405 if request.method != "POST" else 403)
        replan_request(hub_id=hub.pk, reason="manual (admin)")
        self.log_change(request, hub, "Re-plan requested")
        self.message_user(request, _("Re-plan of %(hub)s queued.") % {"hub": hub}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:sharing_hub_change", args=[hub.pk]))


class PvSystemInline(admin.TabularInline):
    model = PvSystem
    extra = 0


class BaseLoadInline(admin.StackedInline):
    model = BaseLoadProfile
    extra = 0


@admin.register(Site)
class SiteAdmin(HubScopedAdmin):
    list_display = [
        "hub",
        "ean",
        "grid_import_limit_kw",
        "grid_export_limit_kw",
        "homes",
        "cloudiness_factor",
        "offers_flexibility",
        "grid_operator",
    ]
    list_editable = ["cloudiness_factor"]
    list_select_related = ["hub"]
    search_fields = ["hub__name", "ean"]
    inlines = [PvSystemInline, BaseLoadInline]


class ChargerAdminForm(forms.ModelForm[Charger]):
    """The charger with a write-only field to set or reset its OCPP password."""

    new_password = forms.CharField(
        label=_("new OCPP password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "The charger connects with its OCPP identity as user name and this password "
            "(HTTP Basic auth), 16 to 40 characters. Leave empty to keep the current one; "
            "only a hash is stored."
        ),
    )

    class Meta:
        model = Charger
        fields = ["bay", "ocpp_id", "protocol", "ac_charge_kw", "ac_discharge_kw", "bidirectional"]

    def clean_new_password(self) -> str:
        password: str = self.cleaned_data["new_password"]
        if password:
            charger_password_validate(password)
        return password


@admin.register(Charger)
class ChargerAdmin(HubScopedAdmin):
    form = ChargerAdminForm
    list_display = [
        "ocpp_id",
        "hub",
        "bay_label",
        "protocol",
        "status",
        "ac_charge_kw",
        "ac_discharge_kw",
        "bidirectional",
        "last_message_at",
        "current_setpoint_kw",
    ]
    list_filter = [
        "status",
        "protocol",
        "bidirectional",
        ("bay__hub", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["bay__hub"]
    search_fields = ["ocpp_id", "bay__label"]
    exclude = ["auth_password_hash"]
    readonly_fields = [
        "status",
        "last_message_at",
        "current_setpoint_kw",
        "measured_power_kw",
        "has_password",
    ]

    def save_model(self, request: HttpRequest, obj: Charger, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("new_password"):
            charger_password_set(charger=obj, password=form.cleaned_data["new_password"])

    @admin.display(description=_("OCPP password set"), boolean=True)
    def has_password(self, obj: Charger) -> bool:
        return bool(obj.auth_password_hash)

    @admin.display(description=_("hub"), ordering="bay__hub__name")
    def hub(self, obj: Charger) -> str:
        return obj.bay.hub.name

    @admin.display(description=_("bay"), ordering="bay__label")
    def bay_label(self, obj: Charger) -> str:
        return obj.bay.label


@admin.register(ChargeLevelReading)
class ChargeLevelReadingAdmin(HubScopedAdmin):
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
class ChargingSessionAdmin(HubScopedAdmin):
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
    change_list_template = "admin/energy/priceslot/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="energy_priceslot_upload",
            )
        ]
        return own + super().get_urls()

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """The ``import_prices`` importer behind a form: all or nothing, errors by line."""
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        form = PriceUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = upload.read().decode("utf-8-sig")
                result = prices_import(
                    text=text,
                    source=form.cleaned_data["source"] or upload.name,
                    area=form.cleaned_data["area"],
                )
            except UnicodeDecodeError:
                form.add_error("file", _("The file is not UTF-8 text."))
            except PriceFileError as error:
                form.add_error("file", _("Nothing was imported: %(error)s") % {"error": error})
            else:
                # One admin-log entry for the whole import (a slot per row would flood it).
                first_slot = PriceSlot.objects.filter(
                    area=form.cleaned_data["area"], start=result.first
                ).first()
                if first_slot is not None:
                    self.log_addition(
                        request,
                        first_slot,
                        f"Imported {result.slots} price slots from {upload.name}",
                    )
                self.message_user(
                    request,
                    _("Imported %(n)d price slots from %(first)s to %(last)s.")
                    % {"n": result.slots, "first": result.first, "last": result.last},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:energy_priceslot_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Upload a price file"),
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/energy/priceslot/upload.html", context)


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
class DispatchRunAdmin(HubScopedAdmin):
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
        "plan_link",
    ]
    list_filter = [
        "status",
        "is_current",
        "fallback_used",
        ("hub", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["hub"]
    date_hierarchy = "created_at"
    actions = ["replan_hubs"]
    readonly_fields = [f.name for f in DispatchRun._meta.fields] + ["downloads", "plan_link"]
    exclude = ["scenario", "plan"]
    change_list_template = "admin/energy/dispatchrun/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[DispatchRun]:
        # The documents can be megabytes: the list never needs them.
        return super().get_queryset(request).defer("scenario", "plan")

    @admin.display(description=_("plan"))
    def plan_link(self, obj: DispatchRun) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:energy_dispatchrun_plan", args=[obj.pk]),
            _("chart"),
        )

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
            ),
            path(
                "<int:pk>/plan/",
                self.admin_site.admin_view(self.plan_view),
                name="energy_dispatchrun_plan",
            ),
            path(
                "energy-report/",
                self.admin_site.admin_view(self.energy_report_view),
                name="energy_dispatchrun_energy_report",
            ),
        ]
        return own + super().get_urls()

    def plan_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = get_object_or_404(scope(DispatchRun.objects.select_related("hub"), request), pk=pk)
        if not self.has_view_permission(request, run):
            return HttpResponse(status=403)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Plan of %(run)s") % {"run": run},
            "opts": self.model._meta,
            "page": run_page(run),
        }
        return TemplateResponse(request, "admin/energy/dispatchrun/plan.html", context)

    def energy_report_view(self, request: HttpRequest) -> HttpResponseBase:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        form = MonthForm(request.GET or None)
        if form.is_valid():
            first = form.cleaned_data["month"]
            return stream_csv(
                energy_csv_rows(scope(Hub.objects.all(), request), first),
                f"energy-{first:%Y-%m}.csv",
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Energy per hub and month (CSV)"),
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/month_report.html", context)

    def document_view(self, request: HttpRequest, pk: int, which: str) -> HttpResponse:
        run = get_object_or_404(scope(DispatchRun.objects.all(), request), pk=pk)
        if which not in {"scenario", "plan"} or not self.has_view_permission(request, run):
            return HttpResponse(status=404)
        body = json.dumps(getattr(run, which), indent=1)
        response = HttpResponse(body, content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="run-{run.pk}-{which}.json"'
        return response

    @admin.action(description=_("Re-plan the hubs of the selected runs now"))
    def replan_hubs(self, request: HttpRequest, queryset: QuerySet[DispatchRun]) -> HttpResponse:
        hub_ids = sorted(set(queryset.values_list("hub_id", flat=True)))
        for hub in Hub.objects.filter(pk__in=hub_ids):
            replan_request(hub_id=hub.pk, reason="manual (admin)")
            HubAdmin(Hub, self.admin_site).log_change(request, hub, "Re-plan requested")
        self.message_user(
            request, _("Re-plan queued for %(n)d hub(s).") % {"n": len(hub_ids)}, messages.SUCCESS
        )
        return HttpResponseRedirect(request.get_full_path())


@admin.register(FlexOffer)
class FlexOfferAdmin(HubScopedAdmin):
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
    list_filter = ["status", ("hub", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["hub"]
    date_hierarchy = "start"
    change_list_template = "admin/energy/flexoffer/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "summary/",
                self.admin_site.admin_view(self.summary_view),
                name="energy_flexoffer_summary",
            )
        ]
        return own + super().get_urls()

    def summary_view(self, request: HttpRequest) -> HttpResponse:
        """Offered and activated kW per slot, and the income, of one hub on one day."""
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        form = HubDayForm(request.GET or None, request=request)
        day = (
            flex_day(hub=form.cleaned_data["hub"], day=form.cleaned_data["day"])
            if (form.is_valid())
            else None
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Flexibility per hub and day"),
            "opts": self.model._meta,
            "form": form,
            "summary": day,
        }
        return TemplateResponse(request, "admin/energy/flexoffer/summary.html", context)

    @admin.display(description=_("income (EUR)"))
    def income(self, obj: FlexOffer) -> str:
        return f"{obj.income_eur:.2f}"


from energy.grid import admin as grid_admin  # noqa: E402, F401  (registers the grid side)
