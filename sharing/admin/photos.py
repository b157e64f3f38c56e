"""The car's photo on its change page in the fleet admin: upload, replace or remove.

The upload is checked as the form is cleaned (an image we can read, at most 8 MB), so a file
that is not a photo is an error on the field and nothing is saved, neither the car's other
changes nor a new photo; the photo the car had stays. The admin then stores it through
``sharing.services.vehicle_photos``.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from sharing.models import Vehicle, VehiclePhoto
from sharing.photos import MAX_PHOTO_BYTES, CleanPhoto
from sharing.services.vehicle_photos import (
    vehicle_photo_clean,
    vehicle_photo_remove,
    vehicle_photo_set,
)


class VehicleAdminForm(forms.ModelForm[Vehicle]):
    photo_upload = forms.FileField(
        label=_("photo"),
        required=False,
        help_text=_(
            "JPEG, PNG or WebP, at most 8 MB. Residents see it once the car is bound to their "
            "booking; location and camera details are removed."
        ),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    photo_remove = forms.BooleanField(label=_("remove the photo"), required=False)

    class Meta:
        model = Vehicle
        fields = ["plate", "model", "hub", "home_bay", "odometer_km"]

    def clean_photo_upload(self) -> CleanPhoto | None:
        upload = self.cleaned_data.get("photo_upload")
        if not upload:
            return None
        if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
            raise ValidationError(_("The photo is too large (at most 8 MB)."))
        try:
            return vehicle_photo_clean(upload.read())
        except ValidationError as error:
            raise ValidationError(error.messages) from None

    def save_photo(self, vehicle: Vehicle) -> None:
        """After the car is saved: store the new photo, or remove the old one if asked."""
        clean = self.cleaned_data.get("photo_upload")
        if clean is not None:
            vehicle_photo_set(vehicle=vehicle, photo=clean)
        elif self.cleaned_data.get("photo_remove"):
            vehicle_photo_remove(vehicle=vehicle)


def photo_preview(obj: Vehicle | None) -> SafeString | str:
    """The car's current photo as residents see it, or a dash."""
    if obj is None or obj.pk is None:
        return "—"
    row = (
        VehiclePhoto.objects.filter(vehicle_id=obj.pk)
        .values_list("updated_at", "width", "height")
        .first()
    )
    if row is None:
        return "—"
    updated_at, width, height = row
    return format_html(
        '<img src="{}?v={}" width="{}" height="{}" alt="{}" style="max-width:20rem;height:auto">',
        reverse("sharing:car-photo", args=[obj.pk]),
        int(updated_at.timestamp()),
        width,
        height,
        _("Photo of %(car)s") % {"car": obj},
    )
