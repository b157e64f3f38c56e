"""What ``sharing`` announces; ``energy`` listens (``sharing`` never imports ``energy``).

Both are sent only after the transaction that made the change commits, from the services:

* ``booking_changed(hub_id, booking_id, reason)``: bookings of a hub changed (created, bound,
  extended, cancelled, returned ...) or a car's availability did; ``booking_id`` may be ``None``.
* ``vehicle_changed(hub_id, vehicle_id, reason)``: a car's status, charge or maintenance changed.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

booking_changed = Signal()
vehicle_changed = Signal()


def announce_booking_changed(*, hub_id: int, booking_id: int | None, reason: str) -> None:
    transaction.on_commit(
        lambda: booking_changed.send(
            sender="sharing", hub_id=hub_id, booking_id=booking_id, reason=reason
        )
    )


def announce_vehicle_changed(*, hub_id: int, vehicle_id: int, reason: str) -> None:
    transaction.on_commit(
        lambda: vehicle_changed.send(
            sender="sharing", hub_id=hub_id, vehicle_id=vehicle_id, reason=reason
        )
    )
