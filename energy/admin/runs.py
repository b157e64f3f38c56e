"""Dispatch runs (a run's plan as a chart, its documents, the monthly energy report, re-plan
now) and the flexibility offers of the plans."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from energy.admin.views import (
    HubDayForm,
    energy_csv_rows,
    flex_day,
    run_page,
)
from energy.models import (
    DispatchRun,
    FlexOffer,
)
from energy.services.replan import replan_request
from sharing.admin.fleet import HubAdmin
from sharing.admin.reports import month_csv_view
from sharing.admin.scope import HubScopedAdmin, scope
from sharing.models import Hub


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
        return month_csv_view(
            self,
            request,
            title=_("Energy per hub and month (CSV)"),
            prefix="energy",
            rows=lambda first: energy_csv_rows(scope(Hub.objects.all(), request), first),
        )

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
