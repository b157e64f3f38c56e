"""Create, change and cancel bookings.

Every write that can affect which car serves what runs under a per-hub lock
(``SELECT ... FOR UPDATE`` on the hub row) so that the feasibility check and the insert are one
step: two residents taking the last car at the same instant cannot both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from sharing.car_cache import hub_cars_changed
from sharing.emails import queue_booking_mail
from sharing.models import HOLDS_CAR_STATUSES, Booking, BookingStatus, Hub
from sharing.rules import (
    FairUseLimits,
    cancel_fee,
    fair_use_errors,
    fair_use_limits,
    merge,
    price_estimate,
    raise_if,
    range_errors,
    resident_errors,
    window_errors,
)
from sharing.selectors.lists import booking_by_idempotency_key
from sharing.signals import announce_booking_changed
from sharing.snapshot import snapshot


class BookingUnavailable(Exception):
    """The window or range cannot be served (any more): the API answers 409."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or _(
                "This time is no longer available with that range. Please pick another time "
                "or ask for less range."
            )
        )

    @property
    def message(self) -> str:
        return str(self.args[0])


def lock_hub(hub: Hub) -> Hub:
    """Serialise every booking write of one hub."""
    return Hub.objects.select_for_update().get(pk=hub.pk)


def try_lock_hub(hub: Hub) -> Hub | None:
    """:func:`lock_hub` if nobody holds the lock now; ``None`` instead of waiting."""
    return Hub.objects.select_for_update(skip_locked=True).filter(pk=hub.pk).first()


def booking_create(
    *,
    resident: User,
    hub: Hub,
    start: datetime,
    end: datetime,
    promised_range_km: int,
    expected_km: int | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Book a car at ``hub`` for ``[start, end)`` with at least ``promised_range_km`` of range.

    With an ``idempotency_key`` a retried submit returns the booking the first one made.
    Raises ``ValidationError`` (per field) for broken rules and :class:`BookingUnavailable` when no
    assignment of cars can keep every promise including this one.

    Every booking of the hub waits for the lock, so as little as possible happens under it. When
    another booking holds it, the wait is used for a first (optimistic) feasibility check on the
    cached cars. Under the lock the cars and bookings are always read afresh and the check is
    exact and authoritative; it only has to verify the optimistic witness when nothing that
    matters changed in between, and searches again when something did.
    """
    now = now or timezone.now()
    expected = promised_range_km if expected_km is None else expected_km
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if idempotency_key:
        earlier = booking_by_idempotency_key(resident=resident, key=idempotency_key)
        if earlier is not None:
            return earlier
    # Settings (the hub's rules, the household's limits) count as the request found them; what
    # other bookings change is read under the lock.
    raise_if(
        merge(
            resident_errors(resident=resident, now=now),
            window_errors(hub=hub, start=start, end=end, now=now),
            range_errors(hub=hub, promised_range_km=promised_range_km, expected_km=expected),
        )
    )
    household_id = resident.household_id
    assert household_id is not None
    limits = fair_use_limits(hub=hub, household_id=household_id)
    request = _Request(
        resident, household_id, start, end, promised_range_km, expected, idempotency_key, now
    )
    try:
        with transaction.atomic():
            locked = try_lock_hub(hub)
            if locked is not None:
                return _create_under_lock(locked, request, limits, hint=None)
        # Another booking of this hub holds the lock: search now rather than wait idle.
        optimistic = snapshot(hub, now, cached=True).check_new(
            start, end, promised_range_km, expected
        )
        with transaction.atomic():
            return _create_under_lock(
                lock_hub(hub),
                request,
                limits,
                hint=optimistic.assignment if optimistic.feasible else None,
            )
    except (IntegrityError, ValidationError, BookingUnavailable):
        # The same submit twice at once: the first one's booking now stands in this one's way
        # (or its key in the unique index). The retry gets that booking, as if it had come later.
        earlier = (
            booking_by_idempotency_key(resident=resident, key=idempotency_key)
            if idempotency_key
            else None
        )
        if earlier is None:
            raise
        return earlier


@dataclass(frozen=True)
class _Request:
    resident: User
    household_id: int
    start: datetime
    end: datetime
    promised_range_km: int
    expected_km: int
    idempotency_key: str | None
    now: datetime


def _create_under_lock(
    hub: Hub, request: _Request, limits: FairUseLimits, *, hint: dict[int, int] | None
) -> Booking:
    """The authoritative part of :func:`booking_create`: ``hub`` is locked, everything that
    other bookings change is read afresh."""
    start, end, now = request.start, request.end, request.now
    raise_if(
        fair_use_errors(
            hub=hub,
            household_id=request.household_id,
            start=start,
            end=end,
            now=now,
            limits=limits,
        )
    )
    promised, expected = request.promised_range_km, request.expected_km
    result = snapshot(hub, now).check_new(start, end, promised, expected, hint=hint)
    if not result.feasible:
        raise BookingUnavailable()
    booking = Booking.objects.create(
        resident=request.resident,
        household_id=request.household_id,
        hub=hub,
        start=start,
        end=end,
        block_start=start - hub.buffer,
        block_end=end + hub.buffer,
        promised_range_km=promised,
        expected_km=expected,
        price_estimate=price_estimate(hub=hub, start=start, end=end, expected_km=expected),
        idempotency_key=request.idempotency_key or None,
        created_at=now,
    )
    queue_booking_mail("confirmed", booking.pk)
    announce_booking_changed(hub_id=hub.pk, booking_id=booking.pk, reason="booking created")
    return booking


def booking_cancel(*, booking: Booking, now: datetime | None = None) -> Booking:
    """Cancel a booking that has not started; the late fee applies inside the free window."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_hub(booking.hub)
        booking = (
            Booking.objects.select_for_update(of=("self",)).select_related("hub").get(pk=booking.pk)
        )
        if booking.status not in (BookingStatus.CONFIRMED, BookingStatus.BOUND):
            raise ValidationError(
                {"status": [_("Only a booking that has not started can be cancelled.")]}
            )
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.fee = cancel_fee(hub=booking.hub, start=booking.start, now=now)
        booking.save(update_fields=["status", "cancelled_at", "fee"])
        queue_booking_mail("cancelled", booking.pk)
        announce_booking_changed(hub_id=booking.hub_id, booking_id=booking.pk, reason="cancelled")
    return booking


def booking_change_end(*, booking: Booking, end: datetime, now: datetime | None = None) -> Booking:
    """Extend or shorten a confirmed, bound or active booking.

    Shortening never hurts anyone else. An extension is accepted only if every promise can still
    be kept; a booking that holds a car keeps that car.
    """
    now = now or timezone.now()
    end = end.astimezone(UTC)
    with transaction.atomic():
        hub = lock_hub(booking.hub)
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status not in (BookingStatus.CONFIRMED, *HOLDS_CAR_STATUSES):
            raise ValidationError({"status": [_("This booking can no longer be changed.")]})
        errors = window_errors(hub=hub, start=booking.start, end=end, now=now, existing=True)
        raise_if(errors)
        if end > booking.end:
            raise_if(
                fair_use_errors(
                    hub=hub,
                    household_id=booking.household_id,
                    start=booking.start,
                    end=end,
                    now=now,
                    exclude_booking_id=booking.pk,
                )
            )
            if booking.status == BookingStatus.ACTIVE:
                # The car is out: it now comes back later; everyone else must still be served.
                state = snapshot(
                    hub, now, exclude=[booking.pk], active_end_override={booking.pk: end}
                )
                result = state.check_all_around(booking.end, end + hub.buffer)
            else:
                bound = booking.vehicle_id if booking.status == BookingStatus.BOUND else None
                result = snapshot(hub, now, exclude=[booking.pk]).check_booking(
                    booking, end=end, bound_car=bound
                )
            if not result.feasible:
                raise BookingUnavailable(
                    _("The booking cannot be extended to that time: the car is needed.")
                )
        booking.end = end
        booking.block_end = end + hub.buffer
        booking.price_estimate = price_estimate(
            hub=hub, start=booking.start, end=end, expected_km=booking.expected_km
        )
        try:
            with transaction.atomic():
                booking.save(update_fields=["end", "block_end", "price_estimate"])
        except IntegrityError:
            raise BookingUnavailable(
                _("The booking cannot be extended to that time: the car is needed.")
            ) from None
        if booking.status == BookingStatus.ACTIVE:
            hub_cars_changed(hub_id=hub.pk)  # the car out on this trip comes back at another time
        announce_booking_changed(hub_id=hub.pk, booking_id=booking.pk, reason="end changed")
    return booking
