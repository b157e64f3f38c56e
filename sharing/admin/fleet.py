"""Fleet admin of hubs, vehicle models and cars, and the cars' maintenance windows.

A car's state changes through the services of ``sharing.services.maintenance`` (block for
maintenance, return to service, retire), as changelist actions that re-assign the bookings the
car held and report what could not be kept. Every change is written to the admin log. A car's
photo is uploaded on its change page (``sharing.admin.photos``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from sharing.admin.actions import MaintenanceForm, errors_text, intermediate_page, local_text
from sharing.admin.photos import VehicleAdminForm, photo_preview
from sharing.admin.scope import HubScopedAdmin, managed_hub_ids
from sharing.models import (
    Bay,
    Booking,
    BookingStatus,
    Hub,
    MaintenanceBlock,
    Vehicle,
    VehicleModel,
)
from sharing.services.maintenance import (
    FleetChange,
    vehicle_block_for_maintenance,
    vehicle_retire,
    vehicle_return_to_service,
)


class BayInline(admin.TabularInline[Bay, Hub]):
    model = Bay
    extra = 0


@admin.register(Hub)
class HubAdmin(HubScopedAdmin):
    list_display = ["name", "slug", "time_zone", "hourly_rate", "day_rate", "per_km_rate"]
    search_fields = ["name", "slug", "address"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["managers"]
    inlines = [BayInline]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "managers":
            kwargs["queryset"] = User.objects.filter(is_staff=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Hub managers run their hub; who manages it is decided above them.
        if managed_hub_ids(request) is not None:
            return [*super().get_readonly_fields(request, obj), "managers"]
        return super().get_readonly_fields(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and managed_hub_ids(request) is None


@admin.register(VehicleModel)
class VehicleModelAdmin(admin.ModelAdmin[VehicleModel]):
    list_display = [
        "make",
        "model",
        "usable_battery_kwh",
        "consumption_kwh_per_km",
        "seasonal_factor",
        "ac_charge_kw",
        "bidirectional",
        "max_promised_range_km",
    ]
    list_editable = ["seasonal_factor"]
    search_fields = ["make", "model"]


class MaintenanceInline(admin.TabularInline[MaintenanceBlock, Vehicle]):
    model = MaintenanceBlock
    extra = 0
    readonly_fields = ["start", "end", "reason", "created_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the "block for maintenance" action re-assigns the car's bookings


@admin.register(Vehicle)
class VehicleAdmin(HubScopedAdmin):
    form = VehicleAdminForm
    list_display = [
        "plate",
        "model",
        "hub",
        "bay",
        "status",
        "charge_level",
        "next_booking",
        "odometer_km",
    ]
    list_filter = [("hub", admin.RelatedOnlyFieldListFilter), "status", "model"]
    list_select_related = ["model", "hub", "home_bay"]
    search_fields = ["plate"]
    readonly_fields = ["status", "last_known_soc_kwh", "last_known_soc_at", "current_photo"]
    inlines = [MaintenanceInline]
    actions = ["block_for_maintenance", "return_to_service", "retire"]

    @admin.display(description=_("current photo"))
    def current_photo(self, obj: Vehicle | None) -> str:
        return photo_preview(obj)

    def save_model(self, request: HttpRequest, obj: Vehicle, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        form.save_photo(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Vehicle]:
        upcoming = Booking.objects.filter(
            vehicle=OuterRef("pk"),
            status__in=[BookingStatus.BOUND, BookingStatus.ACTIVE],
            block_end__gt=timezone.now(),
        ).order_by("start")
        return (
            super()
            .get_queryset(request)
            .annotate(
                next_booking_start=Subquery(upcoming.values("start")[:1]),
                next_booking_id=Subquery(upcoming.values("pk")[:1]),
            )
        )

    @admin.display(description=_("bay"), ordering="home_bay__label")
    def bay(self, obj: Vehicle) -> str:
        return obj.home_bay.label if obj.home_bay else "—"

    @admin.display(description=_("charge"), ordering="last_known_soc_kwh")
    def charge_level(self, obj: Vehicle) -> str:
        if obj.last_known_soc_kwh is None:
            return "—"
        percent = obj.last_known_soc_kwh / obj.model.usable_battery_kwh * 100
        return f"{obj.last_known_soc_kwh} kWh ({percent:.0f}%)"

    @admin.display(
        description=_("next booking"), ordering=F("next_booking_start").asc(nulls_last=True)
    )
    def next_booking(self, obj: Vehicle) -> str:
        booking_id = getattr(obj, "next_booking_id", None)
        if booking_id is None:
            return "—"
        return format_html(
            '<a href="{}">#{} {}</a>',
            reverse("admin:sharing_booking_change", args=[booking_id]),
            booking_id,
            local_text(obj.next_booking_start),  # type: ignore[attr-defined]
        )

    def _report(self, request: HttpRequest, change: FleetChange, what: str) -> None:
        self.log_change(request, change.vehicle, what)
        for booking in change.reassigned:
            self.log_change(request, booking, f"{what}: re-assigned to {booking.vehicle}")
        if change.reassigned:
            self.message_user(
                request,
                _("%(plate)s: re-assigned %(bookings)s.")
                % {
                    "plate": change.vehicle.plate,
                    "bookings": ", ".join(
                        f"#{b.pk} → {b.vehicle.plate if b.vehicle else '?'}"
                        for b in change.reassigned
                    ),
                },
                messages.SUCCESS,
            )
        for booking in change.unkept:
            self.log_change(request, booking, f"{what}: no car can keep it; resident notified")
            self.message_user(
                request,
                _(
                    "%(plate)s: no car can keep booking #%(id)s of %(resident)s (%(start)s); "
                    "it has no car now and the resident was notified."
                )
                % {
                    "plate": change.vehicle.plate,
                    "id": booking.pk,
                    "resident": booking.resident.email,
                    "start": local_text(booking.start),
                },
                messages.WARNING,
            )
        if not change.fleet_feasible:
            self.message_user(
                request,
                _("%(plate)s: the remaining cars cannot keep every booking in that window.")
                % {"plate": change.vehicle.plate},
                messages.WARNING,
            )

    @admin.action(description=_("Block for maintenance…"), permissions=["change"])
    def block_for_maintenance(
        self, request: HttpRequest, queryset: QuerySet[Vehicle]
    ) -> HttpResponse | None:
        form = MaintenanceForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            assert isinstance(request.user, User)
            done = 0
            for vehicle in queryset:
                try:
                    change = vehicle_block_for_maintenance(
                        vehicle=vehicle,
                        start=form.cleaned_data["start"],
                        end=form.cleaned_data["end"],
                        reason=form.cleaned_data["reason"],
                        by=request.user,
                    )
                except ValidationError as error:
                    self.message_user(
                        request, f"{vehicle.plate}: {errors_text(error)}", messages.ERROR
                    )
                    continue
                done += 1
                self._report(
                    request,
                    change,
                    f"Blocked for maintenance {local_text(form.cleaned_data['start'])} to "
                    f"{local_text(form.cleaned_data['end'])}: {form.cleaned_data['reason']}",
                )
            if done:
                self.message_user(
                    request,
                    ngettext("Blocked %d car.", "Blocked %d cars.", done) % done,
                    messages.SUCCESS,
                )
            return None
        return intermediate_page(
            self,
            request,
            queryset,
            action="block_for_maintenance",
            title=_("Block for maintenance"),
            form=form,
            extra={
                "explanation": _(
                    "Bookings that hold these cars in the window move to another car where "
                    "one can keep the promise; the others are listed and their residents told."
                )
            },
        )

    @admin.action(description=_("Return to service"), permissions=["change"])
    def return_to_service(self, request: HttpRequest, queryset: QuerySet[Vehicle]) -> None:
        assert isinstance(request.user, User)
        for vehicle in queryset:
            change = vehicle_return_to_service(vehicle=vehicle, by=request.user)
            self.log_change(request, change.vehicle, "Returned to service")
        self.message_user(request, _("Returned to service."), messages.SUCCESS)

    @admin.action(description=_("Retire"), permissions=["change"])
    def retire(self, request: HttpRequest, queryset: QuerySet[Vehicle]) -> None:
        assert isinstance(request.user, User)
        for vehicle in queryset:
            try:
                change = vehicle_retire(vehicle=vehicle, by=request.user)
            except ValidationError as error:
                self.message_user(request, f"{vehicle.plate}: {errors_text(error)}", messages.ERROR)
                continue
            self._report(request, change, "Retired")
            self.message_user(request, _("%s retired.") % vehicle.plate, messages.SUCCESS)


@admin.register(MaintenanceBlock)
class MaintenanceBlockAdmin(HubScopedAdmin):
    list_display = ["vehicle", "start", "end", "reason"]
    list_filter = [("vehicle__hub", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["vehicle"]
    search_fields = ["vehicle__plate", "reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # through the vehicles' "block for maintenance" action
