"""Fleet admin of hubs, cars and bookings; every state change goes through a service.

Actions that need input (a maintenance window, a car, a return reading) show an intermediate
form and post back to the changelist. Every change is written to the admin log.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.functional import Promise as StrPromise
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from sharing.admin_scope import HubScopedAdmin, managed_hub_ids
from sharing.admin_views import (
    BindVehicleForm,
    MaintenanceForm,
    MonthForm,
    ReturnForm,
    booking_csv_rows,
    late_returns,
    month_bookings,
    stream_csv,
)
from sharing.models import (
    Bay,
    Booking,
    BookingStatus,
    BookingVehicleChange,
    DamageReport,
    FairUseOverride,
    Hub,
    MaintenanceBlock,
    Trip,
    Vehicle,
    VehicleModel,
)
from sharing.services import booking_bind_vehicle, booking_return
from sharing.services.maintenance import (
    FleetChange,
    booking_cancel_by_fleet,
    vehicle_block_for_maintenance,
    vehicle_retire,
    vehicle_return_to_service,
)


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _local(moment: datetime | None) -> str:
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
    readonly_fields = ["status", "last_known_soc_kwh", "last_known_soc_at"]
    inlines = [MaintenanceInline]
    actions = ["block_for_maintenance", "return_to_service", "retire"]

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
            _local(obj.next_booking_start),  # type: ignore[attr-defined]
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
                    "start": _local(booking.start),
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
                    self.message_user(request, f"{vehicle.plate}: {_errors(error)}", messages.ERROR)
                    continue
                done += 1
                self._report(
                    request,
                    change,
                    f"Blocked for maintenance {_local(form.cleaned_data['start'])} to "
                    f"{_local(form.cleaned_data['end'])}: {form.cleaned_data['reason']}",
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
                self.message_user(request, f"{vehicle.plate}: {_errors(error)}", messages.ERROR)
                continue
            self._report(request, change, "Retired")
            self.message_user(request, _("%s retired.") % vehicle.plate, messages.SUCCESS)


class VehicleChangeInline(admin.TabularInline[BookingVehicleChange, Booking]):
    model = BookingVehicleChange
    extra = 0
    fields = ["at", "old_vehicle", "new_vehicle", "reason"]
    readonly_fields = ["at", "old_vehicle", "new_vehicle", "reason"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TripInline(admin.StackedInline[Trip, Booking]):
    model = Trip
    extra = 0
    can_delete = False
    readonly_fields = [
        "vehicle",
        "picked_up_at",
        "returned_at",
        "odometer_out_km",
        "odometer_in_km",
        "soc_out_percent",
        "soc_in_percent",
        "kwh_used",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LateFilter(admin.SimpleListFilter):
    title = _("late")
    parameter_name = "late"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Late (on the road past its end)")), ("ever", _("Was late"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(status=BookingStatus.ACTIVE, end__lt=timezone.now())
        if self.value() == "ever":
            return queryset.filter(late_since__isnull=False)
        return queryset


@admin.register(Booking)
class BookingAdmin(HubScopedAdmin):
    list_display = [
        "id",
        "hub",
        "start",
        "end",
        "resident",
        "household",
        "status",
        "vehicle",
        "promised_range_km",
        "price_estimate",
        "fee",
        "late_since",
    ]
    list_filter = [
        "status",
        ("hub", admin.RelatedOnlyFieldListFilter),
        LateFilter,
        "start",
    ]
    list_select_related = ["hub", "resident", "household", "vehicle__model"]
    search_fields = [
        "=id",
        "resident__email",
        "resident__full_name",
        "vehicle__plate",
        "household__address",
        "household__name",
    ]
    search_help_text = _("Resident e-mail or name, plate, household, booking number, or a date.")
    date_hierarchy = "start"
    fieldsets = [
        (None, {"fields": ["hub", "resident", "household", "status"]}),
        (
            _("Promise"),
            {"fields": ["start", "end", "promised_range_km", "expected_km", "vehicle"]},
        ),
        (
            _("Money and times"),
            {
                "fields": [
                    "price_estimate",
                    "fee",
                    "block_start",
                    "block_end",
                    "created_at",
                    "cancelled_at",
                    "late_since",
                ]
            },
        ),
    ]
    inlines = [VehicleChangeInline, TripInline]
    actions = ["cancel_with_notice", "bind_vehicle", "mark_returned"]
    change_list_template = "admin/sharing/booking/change_list.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A booking changes only through the actions (services): nothing is edited in place.
        return [f.name for f in Booking._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Booking], search_term: str
    ) -> tuple[QuerySet[Booking], bool]:
        try:
            day = date.fromisoformat(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(start__date__lte=day, end__date__gte=day), False

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "late/",
                self.admin_site.admin_view(self.late_view),
                name="sharing_booking_late",
            ),
            path(
                "report/",
                self.admin_site.admin_view(self.report_view),
                name="sharing_booking_report",
            ),
        ]
        return own + super().get_urls()

    def late_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Late returns"),
            "opts": self.model._meta,
            "rows": late_returns(request),
            "can_change": self.has_change_permission(request),
        }
        return TemplateResponse(request, "admin/sharing/booking/late.html", context)

    def report_view(self, request: HttpRequest) -> HttpResponseBase:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        form = MonthForm(request.GET or None)
        if form.is_valid():
            first = form.cleaned_data["month"]
            return stream_csv(
                booking_csv_rows(month_bookings(request, first)),
                f"bookings-{first:%Y-%m}.csv",
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Bookings and trips per household (CSV)"),
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/month_report.html", context)

    @admin.action(description=_("Cancel and notify the resident (no fee)"), permissions=["change"])
    def cancel_with_notice(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        cancelled = 0
        for booking in queryset:
            try:
                booking_cancel_by_fleet(booking=booking)
            except ValidationError as error:
                self.message_user(request, f"#{booking.pk}: {_errors(error)}", messages.ERROR)
                continue
            cancelled += 1
            self.log_change(request, booking, "Cancelled by the fleet; resident notified")
        if cancelled:
            self.message_user(
                request,
                ngettext("Cancelled %d booking.", "Cancelled %d bookings.", cancelled) % cancelled,
                messages.SUCCESS,
            )

    def _one(self, request: HttpRequest, queryset: QuerySet[Booking]) -> Booking | None:
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one booking."), messages.ERROR)
            return None
        return queryset.select_related("hub", "vehicle").first()

    @admin.action(description=_("Bind or change the car…"), permissions=["change"])
    def bind_vehicle(
        self, request: HttpRequest, queryset: QuerySet[Booking]
    ) -> HttpResponse | None:
        booking = self._one(request, queryset)
        if booking is None:
            return None
        form = BindVehicleForm(request.POST if "apply" in request.POST else None, booking=booking)
        if form.is_valid():
            vehicle = form.cleaned_data["vehicle"]
            assert isinstance(request.user, User)
            try:
                booking_bind_vehicle(
                    booking=booking, vehicle=vehicle, reason=f"by hand ({request.user.email})"
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                self.log_change(request, booking, f"Car set by hand: {vehicle.plate}")
                self.message_user(
                    request,
                    _("Booking #%(id)s now has %(plate)s.")
                    % {"id": booking.pk, "plate": vehicle.plate},
                    messages.SUCCESS,
                )
                return None
        return intermediate_page(
            self,
            request,
            queryset,
            action="bind_vehicle",
            title=_("Bind or change the car of booking #%s") % booking.pk,
            form=form,
            extra={"booking": booking},
        )

    @admin.action(description=_("Mark returned…"), permissions=["change"])
    def mark_returned(
        self, request: HttpRequest, queryset: QuerySet[Booking]
    ) -> HttpResponse | None:
        booking = self._one(request, queryset)
        if booking is None:
            return None
        form = ReturnForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                trip = booking_return(
                    booking=booking,
                    odometer_km=form.cleaned_data["odometer_km"],
                    soc_percent=form.cleaned_data["soc_percent"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                self.log_change(
                    request,
                    booking,
                    f"Marked returned: {trip.odometer_in_km} km, {trip.soc_in_percent}%",
                )
                self.message_user(
                    request, _("Booking #%s is returned.") % booking.pk, messages.SUCCESS
                )
                return None
        return intermediate_page(
            self,
            request,
            queryset,
            action="mark_returned",
            title=_("Mark booking #%s returned") % booking.pk,
            form=form,
            extra={"booking": booking},
        )


@admin.register(Trip)
class TripAdmin(HubScopedAdmin):
    list_display = ["booking", "vehicle", "picked_up_at", "returned_at", "km", "kwh_used"]
    list_select_related = ["booking__hub", "vehicle"]
    search_fields = ["vehicle__plate", "booking__resident__email"]
    readonly_fields = ["booking", "vehicle"]


@admin.register(DamageReport)
class DamageReportAdmin(HubScopedAdmin):
    """Damage residents reported at pick-up or return; the photo opens from the list."""

    list_display = ["created_at", "vehicle", "booking", "reported_by", "description", "photo_link"]
    list_select_related = ["vehicle", "booking", "reported_by"]
    list_filter = [("booking__hub", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["vehicle__plate", "description"]
    readonly_fields = ["booking", "vehicle", "reported_by", "created_at", "photo_link"]
    fields = ["booking", "vehicle", "reported_by", "created_at", "description", "photo_link"]

    @admin.display(description=_("photo"))
    def photo_link(self, obj: DamageReport) -> str:
        if not obj.photo:
            return "-"
        url = reverse("sharing:damage-photo", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("open"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # residents report damage at pick-up and return


@admin.register(MaintenanceBlock)
class MaintenanceBlockAdmin(HubScopedAdmin):
    list_display = ["vehicle", "start", "end", "reason"]
    list_filter = [("vehicle__hub", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["vehicle"]
    search_fields = ["vehicle__plate", "reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # through the vehicles' "block for maintenance" action


@admin.register(FairUseOverride)
class FairUseOverrideAdmin(admin.ModelAdmin[FairUseOverride]):
    """A household's own limits of open bookings and weekly hours (the booking rules read it)."""

    list_display = ["household", "max_concurrent_bookings", "max_hours_per_week", "reason"]
    list_select_related = ["household"]
    search_fields = ["household__address", "household__name", "reason"]
    autocomplete_fields = ["household"]
