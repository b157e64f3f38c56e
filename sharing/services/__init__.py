"""Writes and workflows of the sharing app: ``<noun>_<verb>(*, ...)`` under ``transaction.atomic``,
with mails and signals queued on commit.

The direction is ``sharing.tasks`` -> ``sharing.services`` -> ``sharing.emails``; the modules of
this package import each other by their own names (``sharing.services.bookings``), never this
``__init__``, which only gathers the names the views and the tasks call.
"""

from __future__ import annotations

from sharing.services.binding import (
    booking_bind_vehicle,
    bookings_bind_due,
    bookings_flag_late_returns,
)
from sharing.services.bookings import (
    BookingUnavailable,
    booking_cancel,
    booking_change_end,
    booking_create,
)
from sharing.services.lifecycle import (
    booking_pick_up,
    booking_return,
    bookings_mark_no_show,
    bookings_send_reminders,
    maintenance_block_create,
    vehicle_set_status,
)

__all__ = [
    "BookingUnavailable",
    "booking_bind_vehicle",
    "booking_cancel",
    "booking_change_end",
    "booking_create",
    "booking_pick_up",
    "booking_return",
    "bookings_bind_due",
    "bookings_flag_late_returns",
    "bookings_mark_no_show",
    "bookings_send_reminders",
    "maintenance_block_create",
    "vehicle_set_status",
]
