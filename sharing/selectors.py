"""Reads of the sharing app, with their ``select_related`` applied here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from sharing.models import Booking, Hub, Vehicle, VehicleStatus
from sharing.planning import INITIAL_MARGIN, snapshot
from sharing.services.rules import (
    fair_use_errors,
    merge,
    price_estimate,
    raise_if,
    range_errors,
    resident_errors,
    window_errors,
)

SEARCH_AROUND = timedelta(hours=3)
SEARCH_STEP = timedelta(minutes=15)
MAX_SUGGESTIONS = 5


def hub_list() -> QuerySet[Hub]:
    return Hub.objects.order_by("name")


def vehicle_list(*, hub: Hub | None = None) -> QuerySet[Vehicle]:
    vehicles = Vehicle.objects.select_related("model", "hub", "home_bay").exclude(
        status=VehicleStatus.RETIRED
    )
    return vehicles.filter(hub=hub) if hub is not None else vehicles


def booking_list(*, user: User) -> QuerySet[Booking]:
    return (
        Booking.objects.visible_to(user)
        .select_related("hub", "vehicle__model", "vehicle__home_bay", "resident")
        .order_by("-start", "-id")
    )


def booking_get_for_user(*, user: User, pk: int) -> Booking:
    """The booking if ``user`` may see it (own household, or staff); 404 otherwise."""
    booking = booking_list(user=user).filter(pk=pk).first()
    if booking is None:
        raise Http404("No such booking")
    return booking


def booking_by_idempotency_key(*, resident: User, key: str) -> Booking | None:
    return Booking.objects.filter(resident=resident, idempotency_key=key).first()


def calendar_bookings(*, resident: User) -> QuerySet[Booking]:
    since = timezone.now() - timedelta(days=90)
    return (
        Booking.objects.filter(resident=resident, end__gte=since)
        .select_related("hub", "vehicle__home_bay")
        .order_by("start")
    )


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    max_range_km: int
    price_estimate: Decimal


@dataclass(frozen=True)
class Availability:
    hub: Hub
    start: datetime
    end: datetime
    range_km: int | None
    available: bool
    max_range_km: int | None
    price_estimate: Decimal | None
    suggestions: list[Window]


def availability(
    *,
    hub: Hub,
    start: datetime,
    end: datetime,
    range_km: int | None = None,
    now: datetime | None = None,
    resident: User | None = None,
) -> Availability:
    """ "Available, up to N km" or "not available; these nearby windows are ...".

    Uses the same check as ``booking_create``: booking ``N`` km in the window succeeds, more fails.
    With a ``resident`` it also applies the rules about who books (confirmed address, licence,
    the household's fair use), so "available" is never followed by a refusal of the booking;
    a broken rule is a ``ValidationError`` naming it, as ``booking_create`` would raise.
    """
    now = now or timezone.now()
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    errors = window_errors(hub=hub, start=start, end=end, now=now)
    if range_km is not None:
        errors = merge(
            errors, range_errors(hub=hub, promised_range_km=range_km, expected_km=range_km)
        )
    if resident is not None:
        who = resident_errors(resident=resident, now=now)
        if not who and resident.household_id is not None and end > start:
            who = fair_use_errors(
                hub=hub, household_id=resident.household_id, start=start, end=end, now=now
            )
        errors = merge(errors, who)
    raise_if(errors)
    # The cars may come from the cache (bumped by every change of a car); the bookings are read
    # afresh, so the answer is what booking_create would decide with the same rows.
    state = snapshot(hub, now, cached=True)
    wanted = range_km or 0

    def price(s: datetime, e: datetime) -> Decimal:
        return price_estimate(hub=hub, start=s, end=e, expected_km=wanted)

    answer = state.max_range(start, end)
    available = answer.km is not None and answer.km >= wanted
    suggestions: list[Window] = []
    if not available:
        # One read for every window tried below, not one per window.
        state.load(start - SEARCH_AROUND - INITIAL_MARGIN, end + SEARCH_AROUND + INITIAL_MARGIN)
        length = end - start
        for step in range(1, int(SEARCH_AROUND / SEARCH_STEP) + 1):
            for sign in (-1, 1):
                s = start + sign * step * SEARCH_STEP
                if window_errors(hub=hub, start=s, end=s + length, now=now):
                    continue
                other = state.max_range(s, s + length)
                if other.km is not None and other.km >= wanted:
                    suggestions.append(Window(s, s + length, other.km, price(s, s + length)))
            if len(suggestions) >= MAX_SUGGESTIONS:
                break
    return Availability(
        hub=hub,
        start=start,
        end=end,
        range_km=range_km,
        available=available,
        max_range_km=answer.km,
        price_estimate=price(start, end) if available else None,
        suggestions=suggestions[:MAX_SUGGESTIONS],
    )
