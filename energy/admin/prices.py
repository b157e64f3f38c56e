"""Day-ahead prices (with the upload of a price file), flexibility prices and cloudiness
forecasts."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from energy.admin.views import (
    PriceUploadForm,
)
from energy.models import (
    CloudinessForecast,
    FlexPriceSlot,
    PriceSlot,
)
from energy.prices import PriceFileError
from energy.services.prices import prices_import


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
