"""What ``sharing`` announces; ``energy`` listens (``sharing`` never imports ``energy``).

Both are sent only after the transaction that made the change commits, from the services:

* ``booking_changed(hub_id, booking_id, reason)``: bookings of a hub changed (created, bound,
  extended, cancelled, returned ...) or a car's availability did; ``booking_id`` may be ``None``.
* ``vehicle_changed(hub_id, vehicle_id, reason)``: a car's status, charge or maintenance changed.

A listener that cannot reach Redis (energy's re-plan queue) does not turn the committed change
into an error for the resident: it is logged, and the periodic re-plan catches up.
"""

from __future__ import annotations

from django.dispatch import Signal

from config.outage import on_commit_despite_redis

booking_changed = Signal()
vehicle_changed = Signal()


def announce_booking_changed(*, hub_id: int, booking_id: int | None, reason: str) -> None:
    on_commit_despite_redis(
        lambda: booking_changed.send(
            sender="sharing", hub_id=hub_id, booking_id=booking_id, reason=reason
        ),
        what=f"announcing {reason!r} for hub {hub_id}",
    )


def announce_vehicle_changed(*, hub_id: int, vehicle_id: int, reason: str) -> None:
    on_commit_despite_redis(
        lambda: vehicle_changed.send(
            sender="sharing", hub_id=hub_id, vehicle_id=vehicle_id, reason=reason
        ),
        what=f"announcing {reason!r} for hub {hub_id}",
    )
