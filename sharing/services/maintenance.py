"""Fleet changes made by a fleet admin: maintenance windows, return to service, retirement.

A car that leaves service hands its bound bookings to other cars where the feasibility check
finds one that keeps the promise; the others stay booked without a car, and their residents get
a notice (after commit) so they can re-plan or cancel free of charge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from sharing.models import (
    Booking,
    BookingStatus,
    BookingVehicleChange,
    Hub,
    MaintenanceBlock,
    Vehicle,
    VehicleStatus,
)
from sharing.services.binding import booking_bind_vehicle
from sharing.services.bookings import booking_cancel, lock_hub
from sharing.signals import announce_booking_changed, announce_vehicle_changed
from sharing.snapshot import snapshot


@dataclass
class FleetChange:
    """What a fleet change did to the bookings of the car."""

    vehicle: Vehicle
    block: MaintenanceBlock | None = None
    reassigned: list[Booking] = field(default_factory=list)
    unkept: list[Booking] = field(default_factory=list)
    fleet_feasible: bool = True
    """False when the remaining cars cannot keep every (unbound) promise around the window."""


def send_unkept_notice(booking_id: int) -> None:
    """Tell the resident that no car can keep the booking; the booking itself stays."""
    booking = Booking.objects.select_related("hub", "resident").filter(pk=booking_id).first()
    if booking is None or not booking.resident.email:
        return
    start = booking.start.astimezone(booking.hub.tz)
    subject = _("Your booking at %(hub)s needs another time") % {"hub": booking.hub}
    body = "\n\n".join(
        [
            _("Hello %(name)s,") % {"name": booking.resident.get_short_name()},
            _(
                "The car for your booking had to be taken out of service, and no other car can "
                "keep your range promise at that time. Please pick another time or ask for less "
                "range; you may cancel free of charge."
            ),
            _("Your booking starts: %(start)s") % {"start": f"{start:%A %d %B %Y %H:%M}"},
            settings.SITE_URL + reverse("sharing:booking-detail", args=[booking.pk]),
        ]
    )
    send_mail(subject, body + "\n", None, [booking.resident.email])


def _release_and_reassign(
    *, hub: Hub, vehicle: Vehicle, bookings: list[Booking], reason: str, now: datetime
) -> tuple[list[Booking], list[Booking]]:
    """Take ``vehicle`` off ``bookings`` and give each another car where a promise allows."""
    for booking in bookings:
        booking.vehicle = None
        booking.status = BookingStatus.CONFIRMED
        booking.save(update_fields=["vehicle", "status"])
        BookingVehicleChange.objects.create(
            booking=booking, old_vehicle=vehicle, new_vehicle=None, reason=reason[:200], at=now
        )
    reassigned: list[Booking] = []
    unkept: list[Booking] = []
    cars = {v.pk: v for v in Vehicle.objects.filter(hub=hub, status=VehicleStatus.ACTIVE)}
    for booking in sorted(bookings, key=lambda b: (b.start, b.pk)):
        result = snapshot(hub, now, exclude=[booking.pk]).check_booking(
            booking, forbidden=[vehicle.pk]
        )
        car_id = result.assignment.get(booking.pk) if result.feasible else None
        if car_id is not None and car_id in cars:
            try:
                reassigned.append(
                    booking_bind_vehicle(
                        booking=booking, vehicle=cars[car_id], reason=reason, now=now
                    )
                )
                continue
            except ValidationError:
                pass
        unkept.append(booking)
        transaction.on_commit(partial(send_unkept_notice, booking.pk))
    return reassigned, unkept


def _announce(vehicle: Vehicle, reason: str) -> None:
    announce_vehicle_changed(hub_id=vehicle.hub_id, vehicle_id=vehicle.pk, reason=reason)
    announce_booking_changed(hub_id=vehicle.hub_id, booking_id=None, reason=reason)


def vehicle_block_for_maintenance(
    *,
    vehicle: Vehicle,
    start: datetime,
    end: datetime,
    reason: str = "",
    by: User | None = None,
    now: datetime | None = None,
) -> FleetChange:
    """Block ``vehicle`` for ``[start, end)``; its bound bookings in that time move or are listed.

    Raises ``ValidationError`` for an empty window, a window already over, or a retired car.
    """
    now = now or timezone.now()
    if end <= start:
        raise ValidationError({"end": [_("End must be after the start.")]})
    if end <= now:
        raise ValidationError({"end": [_("The window is already over.")]})
    with transaction.atomic():
        hub = lock_hub(Hub(pk=vehicle.hub_id))
        vehicle = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
        if vehicle.status == VehicleStatus.RETIRED:
            raise ValidationError({"vehicle": [_("A retired car cannot be blocked.")]})
        block = MaintenanceBlock.objects.create(
            vehicle=vehicle, start=start, end=end, reason=reason
        )
        affected = list(
            Booking.objects.select_for_update()
            .filter(
                vehicle=vehicle,
                status=BookingStatus.BOUND,
                block_start__lt=end,
                block_end__gt=start,
            )
            .order_by("start")
        )
        who = f" ({by.email})" if by is not None else ""
        reassigned, unkept = _release_and_reassign(
            hub=hub,
            vehicle=vehicle,
            bookings=affected,
            reason=_("car blocked for maintenance") + who,
            now=now,
        )
        feasible = snapshot(hub, now).check_all_around(start, end).feasible
        _announce(vehicle, "maintenance")
    return FleetChange(
        vehicle=vehicle,
        block=block,
        reassigned=reassigned,
        unkept=unkept,
        fleet_feasible=feasible,
    )


def vehicle_return_to_service(
    *, vehicle: Vehicle, by: User | None = None, now: datetime | None = None
) -> FleetChange:
    """Back in service now: status active, ongoing maintenance ends now, later blocks go."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_hub(Hub(pk=vehicle.hub_id))
        vehicle = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
        MaintenanceBlock.objects.filter(vehicle=vehicle, start__gte=now).delete()
        MaintenanceBlock.objects.filter(vehicle=vehicle, start__lt=now, end__gt=now).update(end=now)
        vehicle.status = VehicleStatus.ACTIVE
        vehicle.save(update_fields=["status"])
        _announce(vehicle, "back in service")
    return FleetChange(vehicle=vehicle)


def vehicle_retire(
    *, vehicle: Vehicle, by: User | None = None, now: datetime | None = None
) -> FleetChange:
    """Retire a car for good; its future bound bookings move to other cars or are listed.

    Raises ``ValidationError`` while the car is on the road.
    """
    now = now or timezone.now()
    with transaction.atomic():
        hub = lock_hub(Hub(pk=vehicle.hub_id))
        vehicle = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
        if Booking.objects.filter(vehicle=vehicle, status=BookingStatus.ACTIVE).exists():
            raise ValidationError(
                {"vehicle": [_("%(plate)s is on the road.") % {"plate": vehicle.plate}]}
            )
        vehicle.status = VehicleStatus.RETIRED
        vehicle.save(update_fields=["status"])
        affected = list(
            Booking.objects.select_for_update()
            .filter(vehicle=vehicle, status=BookingStatus.BOUND)
            .order_by("start")
        )
        who = f" ({by.email})" if by is not None else ""
        reassigned, unkept = _release_and_reassign(
            hub=hub, vehicle=vehicle, bookings=affected, reason=_("car retired") + who, now=now
        )
        _announce(vehicle, "retired")
    return FleetChange(vehicle=vehicle, reassigned=reassigned, unkept=unkept)


def booking_cancel_by_fleet(
    *, booking: Booking, waive_fee: bool = True, now: datetime | None = None
) -> Booking:
    """A fleet admin cancels a booking; the resident gets the usual cancellation mail.

    The operator's decision costs the resident nothing unless ``waive_fee`` is off.
    """
    with transaction.atomic():
        booking = booking_cancel(booking=booking, now=now)
        if waive_fee and booking.fee:
            booking.fee = Decimal("0.00")
            booking.save(update_fields=["fee"])
    return booking
