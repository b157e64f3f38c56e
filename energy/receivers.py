"""What the energy app does when other parts of the system change: queue a re-plan; and when
a new plan is made: send the grid operator its D-Prognoses."""

from __future__ import annotations

from typing import Any

from energy.grid.tasks import send_d_prognoses
from energy.services.replan import replan_all_hubs, replan_request


def on_booking_changed(sender: Any, *, hub_id: int, reason: str = "booking", **kwargs: Any) -> None:
    replan_request(hub_id=hub_id, reason=reason)


def on_vehicle_changed(sender: Any, *, hub_id: int, reason: str = "vehicle", **kwargs: Any) -> None:
    replan_request(hub_id=hub_id, reason=reason)


def on_prices_changed(sender: Any, *, area: str, **kwargs: Any) -> None:
    replan_all_hubs(reason="new prices", site__price_area=area)


def on_plan_made(sender: Any, *, hub_id: int, **kwargs: Any) -> None:
    send_d_prognoses.delay(hub_id)
