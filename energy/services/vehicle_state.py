"""Recording what a car's battery holds, and re-planning when it departs from the plan."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from energy.models import ChargeLevelReading, PlanSlot
from energy.services.replan import replan_request
from sharing.car_cache import hub_cars_changed
from sharing.models import Vehicle

# A reading further than this from the plan's expectation triggers a re-plan.
DEVIATION_KWH = Decimal("2.0")


def charge_level_record(
    *, vehicle: Vehicle, soc_kwh: Decimal, source: str, measured_at: datetime | None = None
) -> ChargeLevelReading:
    measured_at = measured_at or timezone.now()
    capacity = vehicle.model.usable_battery_kwh
    soc_kwh = min(max(soc_kwh, Decimal(0)), capacity)
    with transaction.atomic():
        reading = ChargeLevelReading.objects.create(
            vehicle=vehicle, soc_kwh=soc_kwh, measured_at=measured_at, source=source
        )
        if vehicle.last_known_soc_at is None or vehicle.last_known_soc_at <= measured_at:
            Vehicle.objects.filter(pk=vehicle.pk).update(
                last_known_soc_kwh=soc_kwh, last_known_soc_at=measured_at
            )
            # Availability caches the hub's cars: a new charge level must reach it.
            hub_cars_changed(hub_id=vehicle.hub_id)
        expected = (
            PlanSlot.objects.filter(
                run__hub_id=vehicle.hub_id,
                run__is_current=True,
                vehicle=vehicle,
                start=vehicle.hub.floor_to_slot(measured_at),
            )
            .values_list("soc_kwh", flat=True)
            .first()
        )
        if expected is None or abs(expected - soc_kwh) > DEVIATION_KWH:
            replan_request(hub_id=vehicle.hub_id, reason="charge level")
    return reading
