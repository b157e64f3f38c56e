"""The hub page with its "re-plan now" button (only ``energy`` may ask for a plan), and the
site with its PV systems and the homes' base load."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from energy.models import (
    BaseLoadProfile,
    PvSystem,
    Site,
)
from energy.services.replan import replan_request
from sharing.admin.fleet import HubAdmin
from sharing.admin.scope import HubScopedAdmin, scope
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
