"""Chargers (their OCPP password set here, never shown), charge-level readings, residents' own
cars and their charging sessions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from energy.models import (
    ChargeLevelReading,
    Charger,
    ChargingSession,
    PrivateCar,
)
from energy.services.chargers import charger_password_set, charger_password_validate
from sharing.admin.scope import HubScopedAdmin


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
        "energy_fed_back_kwh",
        "fed_back_eur",
    ]
    list_filter = ["status", "allow_feed_back", "bay__hub"]
    list_select_related = ["car", "bay"]
    search_fields = ["car__plate"]
    date_hierarchy = "plugged_in_at"
