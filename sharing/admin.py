"""Fleet admin basics; state changes that affect promises go through the services."""

from __future__ import annotations

from django.contrib import admin

from sharing.models import (
    Bay,
    Booking,
    BookingVehicleChange,
    Hub,
    MaintenanceBlock,
    Trip,
    Vehicle,
    VehicleModel,
)


class BayInline(admin.TabularInline[Bay, Hub]):
    model = Bay
    extra = 0


@admin.register(Hub)
class HubAdmin(admin.ModelAdmin[Hub]):
    list_display = ["name", "slug", "time_zone", "hourly_rate", "day_rate", "per_km_rate"]
    search_fields = ["name", "slug", "address"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [BayInline]


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


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin[Vehicle]):
    list_display = [
        "plate",
        "model",
        "hub",
        "home_bay",
        "status",
        "odometer_km",
        "last_known_soc_kwh",
    ]
    list_filter = ["hub", "status", "model"]
    list_select_related = ["model", "hub", "home_bay"]
    search_fields = ["plate"]
    inlines = [MaintenanceInline]


class VehicleChangeInline(admin.TabularInline[BookingVehicleChange, Booking]):
    model = BookingVehicleChange
    extra = 0
    readonly_fields = ["old_vehicle", "new_vehicle", "reason", "at"]
    can_delete = False


class TripInline(admin.StackedInline[Trip, Booking]):
    model = Trip
    extra = 0


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin[Booking]):
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
    list_filter = ["hub", "status", "start"]
    list_select_related = ["hub", "resident", "household", "vehicle"]
    search_fields = [
        "resident__email",
        "resident__full_name",
        "vehicle__plate",
        "household__address",
    ]
    date_hierarchy = "start"
    raw_id_fields = ["resident", "household", "vehicle"]
    readonly_fields = ["block_start", "block_end", "created_at", "cancelled_at"]
    inlines = [VehicleChangeInline, TripInline]


@admin.register(Trip)
class TripAdmin(admin.ModelAdmin[Trip]):
    list_display = ["booking", "vehicle", "picked_up_at", "returned_at", "km", "kwh_used"]
    list_select_related = ["booking", "vehicle"]
    search_fields = ["vehicle__plate", "booking__resident__email"]


@admin.register(MaintenanceBlock)
class MaintenanceBlockAdmin(admin.ModelAdmin[MaintenanceBlock]):
    list_display = ["vehicle", "start", "end", "reason"]
    list_filter = ["vehicle__hub"]
    list_select_related = ["vehicle"]
    search_fields = ["vehicle__plate", "reason"]
