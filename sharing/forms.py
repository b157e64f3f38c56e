"""Forms of the resident's pages (booking, trips, the statement's month): they parse what residents
type, in the hub's local time (``sharing.local_time``); the rules themselves live in
``sharing.rules`` and come back as per-field errors (``apply_errors``, which ``energy``'s
pages use too)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sharing.local_time import DATETIME_LOCAL, localize
from sharing.models import Booking, Hub
from sharing.rules import window_errors

# The service says "promised_range_km"; the page asks for "range_km".
SERVICE_FIELDS = {"promised_range_km": "range_km", "expected_km": "range_km"}


def parse_local(value: str, tz: ZoneInfo) -> datetime:
    """``2026-05-01T10:00`` (what ``datetime-local`` sends) as an aware time in ``tz``.

    Refused when the wall-clock time does not exist or happens twice on a clock-change day.
    """
    try:
        naive = datetime.strptime(value.strip()[:16], DATETIME_LOCAL)  # noqa: DTZ007
    except ValueError:
        raise ValidationError(
            _("Enter a date and time like 2026-05-01 10:00."), code="invalid"
        ) from None
    return localize(naive, tz)


class LocalDateTimeInput(forms.TextInput):
    """``<input type="datetime-local" step="900">``: a 15-minute grid in the browser's picker."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"step": "900", **(attrs or {})})


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` next to the fields it is about."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, messages in exc.message_dict.items():
        field = SERVICE_FIELDS.get(name, name)
        target = field if field in form.fields else None
        for message in messages:
            if target is None or message not in form.errors.get(target, []):
                form.add_error(target, message)


class BookingForm(forms.Form):
    """Hub, start, end and range: the same fields check availability (GET) and book (POST)."""

    hub = forms.ModelChoiceField(
        label=gettext_lazy("Hub"),
        queryset=Hub.objects.order_by("name"),
        to_field_name="slug",
        empty_label=None,
        error_messages={"invalid_choice": gettext_lazy("Unknown hub. Pick one from the list.")},
    )
    start = forms.CharField(
        label=gettext_lazy("From"),
        widget=LocalDateTimeInput(attrs={"aria-describedby": "start-errors"}),
        help_text=gettext_lazy("In 15-minute steps, e.g. 09:00 or 09:15."),
    )
    end = forms.CharField(
        label=gettext_lazy("Until"),
        widget=LocalDateTimeInput(attrs={"aria-describedby": "end-errors"}),
    )
    range_km = forms.IntegerField(
        label=gettext_lazy("Range needed (km)"),
        min_value=0,
        max_value=100_000,
        widget=forms.NumberInput(
            attrs={"inputmode": "numeric", "step": "1", "aria-describedby": "range_km-errors"}
        ),
        help_text=gettext_lazy("The car will have at least this much range when you leave."),
    )
    idempotency_key = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hubs = list(self.fields["hub"].queryset)  # type: ignore[attr-defined]
        if len(hubs) == 1 and "hub" not in self.initial:
            self.initial["hub"] = hubs[0].slug
        self.fields["start"].widget.attrs["aria-describedby"] = "start-errors id_start_helptext"
        self.fields["range_km"].widget.attrs["aria-describedby"] = (
            "range_km-errors id_range_km_helptext"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hub: Hub | None = data.get("hub")
        if hub is None:
            return data
        for name in ("start", "end"):
            if name in data:
                try:
                    data[name] = parse_local(data[name], hub.tz)
                except ValidationError as exc:
                    self.add_error(name, exc)
        return data


class ChangeEndForm(forms.Form):
    """A new end for a booking, in the hub's local time, checked against the hub's rules so
    the preview already says what the service would refuse."""

    end = forms.CharField(
        label=gettext_lazy("New end"),
        widget=LocalDateTimeInput(attrs={"aria-describedby": "end-errors"}),
    )

    def __init__(self, *args: Any, booking: Booking, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.booking = booking

    def clean_end(self) -> datetime:
        booking = self.booking
        end = parse_local(self.cleaned_data["end"], booking.hub.tz)
        if end == booking.end:
            raise ValidationError(
                _("That is the current end. Pick an earlier or later time."), code="unchanged"
            )
        errors = window_errors(
            hub=booking.hub, start=booking.start, end=end, now=timezone.now(), existing=True
        )
        if errors.get("end"):
            raise ValidationError(errors["end"])
        return end


class _TripFormBase(forms.Form):
    damage = forms.CharField(
        label=gettext_lazy("Damage you found (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Scratches, dents, a warning light: say what and where."),
    )
    photo = forms.FileField(
        label=gettext_lazy("Photo of the damage (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("photo") and not (data.get("damage") or "").strip():
            self.add_error("damage", _("Say what is damaged, with the photo."))
        return data


class PickUpForm(_TripFormBase):
    """Start the trip; the odometer and charge are optional (the car reports them too)."""

    odometer_km = forms.IntegerField(
        label=gettext_lazy("Odometer (km, optional)"), required=False, min_value=0,
        max_value=2_000_000, widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )  # fmt: skip
    soc_percent = forms.DecimalField(
        label=gettext_lazy("Charge (%, optional)"), required=False, min_value=0, max_value=100,
        decimal_places=1, widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "1"}),
    )  # fmt: skip


class ReturnForm(_TripFormBase):
    """End the trip: the odometer and the charge the car shows, and any damage."""

    odometer_km = forms.IntegerField(
        label=gettext_lazy("Odometer (km)"), min_value=0, max_value=2_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )  # fmt: skip
    soc_percent = forms.DecimalField(
        label=gettext_lazy("Charge (%)"), min_value=0, max_value=100, decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "1"}),
    )  # fmt: skip


class MonthForm(forms.Form):
    """The month of the household's statement, ``YYYY-MM``; this month when left empty."""

    month = forms.CharField(
        label=gettext_lazy("Month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month"}),
    )

    def clean_month(self) -> date:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            today = timezone.localdate()
            return date(today.year, today.month, 1)
        try:
            year, month = (int(part) for part in value.split("-"))
            if not 2000 <= year <= 2999:
                raise ValueError
            return date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(_("Enter a month like 2026-11."), code="invalid") from None
