"""The sharing app's part of a resident's data export and erasure (see ``accounts.privacy``)."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from sharing.models import Booking, Trip


def export_user(user: User) -> dict[str, Any]:
    """Only this resident's own bookings and trips, never those of household members."""
    bookings = [
        {
            "id": b.pk,
            "hub": b.hub.slug,
            "start": b.start,
            "end": b.end,
            "status": b.status,
            "promised_range_km": b.promised_range_km,
            "expected_km": b.expected_km,
            "vehicle": b.vehicle.plate if b.vehicle else None,
            "price_estimate": b.price_estimate,
            "fee": b.fee,
            "created_at": b.created_at,
            "cancelled_at": b.cancelled_at,
        }
        for b in Booking.objects.filter(resident=user).select_related("hub", "vehicle")
    ]
    trips = [
        {
            "booking": t.booking_id,
            "vehicle": t.vehicle.plate,
            "picked_up_at": t.picked_up_at,
            "returned_at": t.returned_at,
            "km": t.km,
            "kwh_used": t.kwh_used,
        }
        for t in Trip.objects.filter(booking__resident=user).select_related("vehicle")
    ]
    return {"bookings": bookings, "trips": trips}


def erase_user(user: User) -> None:
    """Bookings and trips stay for accounting, tied to the pseudonymous user row; the only free
    text we hold about a resident is the idempotency key, which we drop."""
    Booking.objects.filter(resident=user).exclude(idempotency_key=None).update(idempotency_key=None)
