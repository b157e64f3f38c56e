"""Metering: a charger's meter values summed per ISP (one row per charger and ISP), which the
settlement compares with what was ordered.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from energy.grid.models import ChargerIspPower


def charger_power_record(*, charger_id: int, hub_id: int, power_kw: float, at: datetime) -> None:
    """Add one meter value to its ISP's sum (one row per charger and ISP, so a day is bounded
    however often a charger reports)."""
    start = at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)
    rows = ChargerIspPower.objects.filter(charger_id=charger_id, start=start)
    if rows.update(power_sum_kw=F("power_sum_kw") + power_kw, samples=F("samples") + 1):
        return
    try:
        with transaction.atomic():
            ChargerIspPower.objects.create(
                charger_id=charger_id, hub_id=hub_id, start=start, power_sum_kw=power_kw, samples=1
            )
    except IntegrityError:  # a concurrent first reading of the same ISP
        rows.update(power_sum_kw=F("power_sum_kw") + power_kw, samples=F("samples") + 1)
