"""Pick-up, return, no-shows, reminders; and the fleet changes that affect bookings."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sharing.car_cache import hub_cars_changed
from sharing.emails import queue_booking_mail
from sharing.models import Booking, BookingStatus, Hub, MaintenanceBlock, Trip, Vehicle
from sharing.services.bookings import lock_hub
from sharing.signals import announce_booking_changed, announce_vehicle_changed

REMINDER_LEAD = timedelta(hours=2)
EARLY_PICK_UP = timedelta(minutes=15)


def _soc_kwh(vehicle: Vehicle, percent: Decimal) -> Decimal:
    return (vehicle.model.usable_battery_kwh * percent / 100).quantize(Decimal("0.01"))


def booking_pick_up(
    *,
    booking: Booking,
    now: datetime | None = None,
    odometer_km: int | None = None,
    soc_percent: Decimal | None = None,
) -> Trip:
    """The resident takes the bound car: the booking becomes active and a trip starts."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("vehicle__model", "hub")
            .get(pk=booking.pk)
        )
        if booking.status != BookingStatus.BOUND or booking.vehicle is None:
            raise ValidationError({"status": [_("Only a booking with a car can be picked up.")]})
        if now < booking.start - EARLY_PICK_UP:
            raise ValidationError({"status": [_("It is too early to pick up this car.")]})
        if now >= booking.end:
            raise ValidationError({"status": [_("This booking has ended.")]})
        vehicle = booking.vehicle
        trip = Trip.objects.create(
            booking=booking,
            vehicle=vehicle,
            picked_up_at=now,
            odometer_out_km=vehicle.odometer_km if odometer_km is None else odometer_km,
            soc_out_percent=soc_percent,
        )
        booking.status = BookingStatus.ACTIVE
        booking.save(update_fields=["status"])
        if soc_percent is not None:
            vehicle.last_known_soc_kwh = _soc_kwh(vehicle, soc_percent)
            vehicle.last_known_soc_at = now
        if odometer_km is not None:
            vehicle.odometer_km = odometer_km
        vehicle.save(update_fields=["last_known_soc_kwh", "last_known_soc_at", "odometer_km"])
        hub_cars_changed(hub_id=booking.hub_id)
        announce_booking_changed(hub_id=booking.hub_id, booking_id=booking.pk, reason="picked up")
    return trip


def booking_return(
    *,
    booking: Booking,
    odometer_km: int,
    soc_percent: Decimal,
    now: datetime | None = None,
) -> Trip:
    """The car is back: complete the booking, close the trip, record the car's charge."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_hub(booking.hub)
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("vehicle__model")
            .get(pk=booking.pk)
        )
        if booking.status != BookingStatus.ACTIVE or booking.vehicle is None:
            raise ValidationError({"status": [_("Only a car on the road can be returned.")]})
        trip = Trip.objects.select_for_update().get(booking=booking)
        if odometer_km < trip.odometer_out_km:
            raise ValidationError(
                {"odometer_km": [_("The odometer cannot be lower than at pick-up.")]}
            )
        if not Decimal(0) <= soc_percent <= Decimal(100):
            raise ValidationError({"soc_percent": [_("Charge is a percentage from 0 to 100.")]})
        vehicle = booking.vehicle
        trip.returned_at = now
        trip.odometer_in_km = odometer_km
        trip.soc_in_percent = soc_percent
        if trip.soc_out_percent is not None:
            trip.kwh_used = max(
                Decimal(0), _soc_kwh(vehicle, trip.soc_out_percent) - _soc_kwh(vehicle, soc_percent)
            )
        trip.save()
        booking.status = BookingStatus.COMPLETED
        booking.save(update_fields=["status"])
        vehicle.odometer_km = odometer_km
        vehicle.last_known_soc_kwh = _soc_kwh(vehicle, soc_percent)
        vehicle.last_known_soc_at = now
        vehicle.save(update_fields=["odometer_km", "last_known_soc_kwh", "last_known_soc_at"])
        hub_cars_changed(hub_id=booking.hub_id)
        announce_booking_changed(hub_id=booking.hub_id, booking_id=booking.pk, reason="returned")
        announce_vehicle_changed(hub_id=booking.hub_id, vehicle_id=vehicle.pk, reason="returned")
    return trip


def bookings_mark_no_show(*, now: datetime | None = None) -> list[int]:
    """Close bookings nobody picked up in time, with the hub's no-show fee."""
    now = now or timezone.now()
    marked: list[int] = []
    candidates = Booking.objects.filter(
        status__in=[BookingStatus.CONFIRMED, BookingStatus.BOUND], start__lt=now
    ).select_related("hub")
    for booking in candidates:
        if booking.start + timedelta(minutes=booking.hub.no_show_after_minutes) > now:
            continue
        with transaction.atomic():
            # Claim it with a conditional update, so a second run does nothing.
            claimed = Booking.objects.filter(
                pk=booking.pk, status__in=[BookingStatus.CONFIRMED, BookingStatus.BOUND]
            ).update(status=BookingStatus.NO_SHOW, fee=booking.hub.no_show_fee)
            if claimed:
                marked.append(booking.pk)
                announce_booking_changed(
                    hub_id=booking.hub_id, booking_id=booking.pk, reason="no-show"
                )
    return marked


def bookings_send_reminders(*, now: datetime | None = None) -> list[int]:
    """Remind residents whose booking starts within two hours (once)."""
    now = now or timezone.now()
    sent: list[int] = []
    due = Booking.objects.filter(
        status__in=[BookingStatus.CONFIRMED, BookingStatus.BOUND],
        start__gt=now,
        start__lte=now + REMINDER_LEAD,
        reminder_sent_at__isnull=True,
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            if Booking.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            ):
                queue_booking_mail("reminder", pk)
                sent.append(pk)
    return sent


def maintenance_block_create(
    *, vehicle: Vehicle, start: datetime, end: datetime, reason: str = ""
) -> MaintenanceBlock:
    """Take a car out of service for a while; bound bookings in that time must be re-bound."""
    if end <= start:
        raise ValidationError({"end": [_("End must be after the start.")]})
    with transaction.atomic():
        lock_hub(Hub(pk=vehicle.hub_id))
        block = MaintenanceBlock.objects.create(
            vehicle=vehicle, start=start, end=end, reason=reason
        )
        hub_cars_changed(hub_id=vehicle.hub_id)
        announce_vehicle_changed(hub_id=vehicle.hub_id, vehicle_id=vehicle.pk, reason="maintenance")
        announce_booking_changed(hub_id=vehicle.hub_id, booking_id=None, reason="maintenance")
    return block


def vehicle_set_status(*, vehicle: Vehicle, status: str) -> Vehicle:
    with transaction.atomic():
        lock_hub(Hub(pk=vehicle.hub_id))
        vehicle.status = status
        vehicle.save(update_fields=["status"])
        hub_cars_changed(hub_id=vehicle.hub_id)
        announce_vehicle_changed(hub_id=vehicle.hub_id, vehicle_id=vehicle.pk, reason="status")
        announce_booking_changed(hub_id=vehicle.hub_id, booking_id=None, reason="vehicle status")
    return vehicle
