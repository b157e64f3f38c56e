"""Forms of the energy pages: they parse what residents type; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from energy.selectors import bays_free_for_private_cars
from sharing.models import Bay

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _kwh(
    label: StrOrPromise, *, minimum: str = "0", help_text: StrOrPromise = ""
) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal(minimum),
        max_digits=9,
        decimal_places=3,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )


class DepartureInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


class ConsentMixin(forms.Form):
    """Offers the ``feed_back`` consent on forms of residents who have not given it."""

    feed_back_consent = forms.BooleanField(
        label=_("I agree to feed back: the hub may use energy from my car's battery"),
        required=False,
        help_text=_("You can withdraw this consent on your account page at any time."),
    )

    def __init__(self, *args: Any, consent_given: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.consent_given = consent_given
        if consent_given:
            del self.fields["feed_back_consent"]

    @property
    def grant_consent(self) -> bool:
        return bool(self.cleaned_data.get("feed_back_consent"))


class PrivateCarForm(ConsentMixin):
    plate = forms.CharField(
        label=_("Licence plate"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    battery_kwh = _kwh(_("Usable battery (kWh)"), minimum="1")
    max_charge_kw = _kwh(_("Charge power (kW)"))
    max_discharge_kw = _kwh(
        _("Discharge power (kW)"), help_text=_("0 if your car cannot feed back.")
    )
    may_feed_back = forms.BooleanField(
        label=_("My car may feed back to the neighbourhood"), required=False
    )
    floor_kwh = _kwh(
        _("Never below (kWh)"),
        help_text=_("The hub never lets your battery go below this charge."),
    )
    field_order = [
        "plate",
        "battery_kwh",
        "max_charge_kw",
        "max_discharge_kw",
        "floor_kwh",
        "may_feed_back",
        "feed_back_consent",
    ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        battery, floor = cleaned.get("battery_kwh"), cleaned.get("floor_kwh")
        if battery is not None and floor is not None and floor > battery:
            self.add_error("floor_kwh", _("The floor cannot be above the battery's size."))
        return cleaned


class SessionSettingsForm(ConsentMixin):
    departure_at = forms.DateTimeField(
        label=_("Departure"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=DepartureInput(),
        help_text=_("Local time (Amsterdam)."),
    )
    target_soc_kwh = _kwh(_("Charge wanted at departure (kWh)"))
    allow_feed_back = forms.BooleanField(
        label=_("Feed back to the neighbourhood while parked"), required=False
    )
    feed_back_floor_kwh = _kwh(
        _("Feed back down to (kWh)"), help_text=_("Never below this charge.")
    )
    field_order = [
        "departure_at",
        "target_soc_kwh",
        "allow_feed_back",
        "feed_back_floor_kwh",
        "feed_back_consent",
    ]

    def clean_departure_at(self) -> Any:
        value = self.cleaned_data["departure_at"]
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value


def _bay_label(bay: Bay) -> str:
    return f"{bay.hub.name} · {bay.label}"


class SessionStartForm(SessionSettingsForm):
    bay = forms.ModelChoiceField(
        label=_("Bay"), queryset=Bay.objects.none(), empty_label=_("Choose a bay")
    )
    initial_soc_kwh = _kwh(_("Charge now (kWh)"))
    field_order = [
        "bay",
        "initial_soc_kwh",
        "departure_at",
        "target_soc_kwh",
        "allow_feed_back",
        "feed_back_floor_kwh",
        "feed_back_consent",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bay_field = self.fields["bay"]
        assert isinstance(bay_field, forms.ModelChoiceField)
        bay_field.queryset = bays_free_for_private_cars()
        bay_field.label_from_instance = _bay_label  # type: ignore[assignment,method-assign]


class FloorPercentForm(forms.Form):
    """ "Never below X %": the plugged-in car's feed-back floor as a share of its battery."""

    floor_percent = forms.IntegerField(
        label=_("Never feed back below (%)"),
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "5"}),
    )
