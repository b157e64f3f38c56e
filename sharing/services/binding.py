"""Binding cars to bookings, and what to do when a car comes back late."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sharing.emails import queue_booking_mail
from sharing.models import (
    Booking,
    BookingStatus,
    BookingVehicleChange,
    Hub,
    Vehicle,
    VehicleStatus,
)
from sharing.services.bookings import lock_hub
from sharing.signals import announce_booking_changed
from sharing.snapshot import Snapshot, snapshot

logger = logging.getLogger(__name__)


def _bind(*, booking: Booking, vehicle: Vehicle, reason: str, now: datetime) -> Booking:
    """Set the car; the exclusion constraint is the last word on overlaps."""
    old_vehicle_id = booking.vehicle_id
    if old_vehicle_id == vehicle.pk and booking.status == BookingStatus.BOUND:
        return booking
    booking.vehicle = vehicle
    booking.status = BookingStatus.BOUND
    try:
        with transaction.atomic():
            booking.save(update_fields=["vehicle", "status"])
    except IntegrityError:
        raise ValidationError({"vehicle": [_("This car is already taken at that time.")]}) from None
    BookingVehicleChange.objects.create(
        booking=booking,
        old_vehicle_id=old_vehicle_id,
        new_vehicle=vehicle,
        reason=reason[:200],
        at=now,
    )
    queue_booking_mail("changed" if old_vehicle_id else "bound", booking.pk)
    announce_booking_changed(hub_id=booking.hub_id, booking_id=booking.pk, reason="car bound")
    return booking


def booking_bind_vehicle(
    *, booking: Booking, vehicle: Vehicle, reason: str, now: datetime | None = None
) -> Booking:
    """Bind (or re-bind) a car to a confirmed or bound booking.

    Raises ``ValidationError`` when this car cannot keep the booking's promise without breaking
    another booking's, or when PostgreSQL's exclusion constraint rejects the overlap.
    """
    now = now or timezone.now()
    with transaction.atomic():
        hub = lock_hub(booking.hub)
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status not in (BookingStatus.CONFIRMED, BookingStatus.BOUND):
            raise ValidationError(
                {"status": [_("Only a booking that has not started gets a car.")]}
            )
        if vehicle.hub_id != hub.pk or vehicle.status != VehicleStatus.ACTIVE:
            raise ValidationError({"vehicle": [_("This car is not in service at this hub.")]})
        result = snapshot(hub, now, exclude=[booking.pk]).check_booking(
            booking, bound_car=vehicle.pk
        )
        if not result.feasible:
            raise ValidationError(
                {
                    "vehicle": [
                        _("%(plate)s cannot keep this booking's range promise (or another's).")
                        % {"plate": vehicle.plate}
                    ]
                }
            )
        return _bind(booking=booking, vehicle=vehicle, reason=reason, now=now)


def bookings_bind_due(*, hub: Hub, now: datetime | None = None) -> list[Booking]:
    """Bind a car to every confirmed booking starting within the hub's bind lead time.

    The cars come from a feasibility witness, so binding them keeps every promise. The dispatcher
    in ``energy`` may bind earlier with its own plan; this is the built-in fallback.
    """
    now = now or timezone.now()
    bound: list[Booking] = []
    with transaction.atomic():
        hub = lock_hub(hub)
        due = list(
            Booking.objects.filter(
                hub=hub,
                status=BookingStatus.CONFIRMED,
                start__lte=now + timedelta(minutes=hub.bind_lead_minutes),
            ).order_by("start")
        )
        if not due:
            return bound
        state = snapshot(hub, now)
        vehicles = {v.pk: v for v in Vehicle.objects.filter(hub=hub)}
        for booking in due:
            result = state.check_all_around(booking.start, booking.end)
            car_id = result.assignment.get(booking.pk) if result.feasible else None
            if car_id is None:
                logger.warning("no car can keep booking %s's promise; not bound", booking.pk)
                continue
            bound.append(
                _bind(booking=booking, vehicle=vehicles[car_id], reason="due for binding", now=now)
            )
            state = snapshot(hub, now)
    return bound


def _rebind_or_warn(state: Snapshot, late: Booking, now: datetime) -> str:
    """The late car's next booking: another car if one can keep its promise, else a warning."""
    if late.vehicle_id is None:
        return "none"
    following = (
        Booking.objects.select_for_update()
        .filter(vehicle_id=late.vehicle_id, status=BookingStatus.BOUND, start__gte=late.start)
        .exclude(pk=late.pk)
        .order_by("start")
        .first()
    )
    if following is None:
        return "none"
    result = state.check_booking(following, forbidden=[late.vehicle_id] if late.vehicle_id else [])
    car_id = result.assignment.get(following.pk) if result.feasible else None
    if car_id is not None:
        _bind(
            booking=following,
            vehicle=Vehicle.objects.get(pk=car_id),
            reason=_("previous user is late"),
            now=now,
        )
        return "rebound"
    if following.late_notice_sent_at is None:
        following.late_notice_sent_at = now
        following.save(update_fields=["late_notice_sent_at"])
        queue_booking_mail("late", following.pk)
        return "notified"
    return "already notified"


def bookings_flag_late_returns(*, now: datetime | None = None) -> dict[int, str]:
    """Mark active bookings past their end as late and look after the next booking of each car.

    Returns what happened per late booking id (``rebound``, ``notified``, ...).
    """
    now = now or timezone.now()
    outcome: dict[int, str] = {}
    hub_ids = (
        Booking.objects.filter(status=BookingStatus.ACTIVE, end__lt=now)
        .values_list("hub_id", flat=True)
        .distinct()
    )
    for hub_id in list(hub_ids):
        with transaction.atomic():
            hub = lock_hub(Hub(pk=hub_id))
            late_ones = list(
                Booking.objects.select_for_update().filter(
                    hub=hub, status=BookingStatus.ACTIVE, end__lt=now
                )
            )
            for late in late_ones:
                if late.late_since is None:
                    late.late_since = now
                    late.save(update_fields=["late_since"])
                    announce_booking_changed(
                        hub_id=hub.pk, booking_id=late.pk, reason="late return"
                    )
            for late in late_ones:
                state = snapshot(hub, now)
                outcome[late.pk] = _rebind_or_warn(state, late, now)
    return outcome
