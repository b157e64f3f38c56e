"""Fleet admin of bookings, trips, damage reports and households' fair-use limits.

Every state change of a booking goes through a service (cancel by the fleet, bind a car, mark
returned); actions that need input (a car, a return reading) show an intermediate form and post
back to the changelist. The late-returns board and the monthly CSV hang off the bookings'
changelist (``sharing.admin.views``). Every change is written to the admin log.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from sharing.admin.actions import BindVehicleForm, ReturnForm, errors_text, intermediate_page
from sharing.admin.reports import month_csv_view
from sharing.admin.scope import HubScopedAdmin
from sharing.admin.views import (
    booking_csv_rows,
    late_returns,
    month_bookings,
)
from sharing.models import (
    Booking,
    BookingStatus,
    BookingVehicleChange,
    DamageReport,
    FairUseOverride,
    Trip,
)
from sharing.services import booking_bind_vehicle, booking_return
from sharing.services.maintenance import booking_cancel_by_fleet


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
        return month_csv_view(
            self,
            request,
            title=_("Bookings and trips per household (CSV)"),
            prefix="bookings",
            rows=lambda first: booking_csv_rows(month_bookings(request, first)),
        )

    @admin.action(description=_("Cancel and notify the resident (no fee)"), permissions=["change"])
    def cancel_with_notice(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        cancelled = 0
        for booking in queryset:
            try:
                booking_cancel_by_fleet(booking=booking)
            except ValidationError as error:
                self.message_user(request, f"#{booking.pk}: {errors_text(error)}", messages.ERROR)
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


@admin.register(FairUseOverride)
class FairUseOverrideAdmin(admin.ModelAdmin[FairUseOverride]):
    """A household's own limits of open bookings and weekly hours (the booking rules read it)."""

    list_display = ["household", "max_concurrent_bookings", "max_hours_per_week", "reason"]
    list_select_related = ["household"]
    search_fields = ["household__address", "household__name", "reason"]
    autocomplete_fields = ["household"]
