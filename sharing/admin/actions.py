"""What the admin actions that need input share: their intermediate page and its forms.

An action such as "block for maintenance" first shows a form (``intermediate_page``) that posts
back to the changelist with the chosen objects; the forms here are those pages' forms. The
small text helpers format a service's refusal and a local time for the admin's messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext_lazy as _

from sharing.models import Booking, Vehicle, VehicleStatus


def errors_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def local_text(moment: datetime | None) -> str:
    return "" if moment is None else f"{timezone.localtime(moment):%a %d %b %H:%M}"


def intermediate_page(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    action: str,
    title: str | StrPromise,
    form: Form,
    extra: dict[str, Any] | None = None,
) -> TemplateResponse:
    """The form page of an action that needs input; it posts back to the changelist."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "objects": queryset,
        "form": form,
        "action": action,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "media": model_admin.media + form.media,
        **(extra or {}),
    }
    return TemplateResponse(request, "admin/sharing/action_form.html", context)


class MaintenanceForm(forms.Form):
    start = forms.DateTimeField(
        label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    end = forms.DateTimeField(
        label=_("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("End must be after the start."))
        return data


class BindVehicleForm(forms.Form):
    vehicle = forms.ModelChoiceField(label=_("Car"), queryset=Vehicle.objects.none())

    def __init__(self, *args: Any, booking: Booking, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["vehicle"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Vehicle.objects.filter(
            hub_id=booking.hub_id, status=VehicleStatus.ACTIVE
        ).select_related("model")


class ReturnForm(forms.Form):
    odometer_km = forms.IntegerField(label=_("Odometer (km)"), min_value=0)
    soc_percent = forms.DecimalField(
        label=_("Charge level (%)"), min_value=0, max_value=100, decimal_places=2
    )
