"""A booking's block starts a turnaround buffer early: ``[start - buffer, end + buffer)``.

Existing rows had ``block_start = start``. A bound or active booking whose earlier block would now
overlap the previous block of the same car (the two were less than ``2 x buffer`` apart) gets the
widest block that still fits, so the exclusion constraint holds for every row.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db import migrations
from django.db.models import F

HOLDS_CAR = ("bound", "active")


def widen(apps: Any, schema_editor: Any) -> None:
    booking_model = apps.get_model("sharing", "Booking")
    hub_model = apps.get_model("sharing", "Hub")
    db = schema_editor.connection.alias
    buffers = dict(hub_model.objects.using(db).values_list("pk", "turnaround_buffer_minutes"))
    # Per car, in time order: a block may reach back only as far as the car's previous block.
    by_car: dict[int, list[tuple[datetime, int, datetime, int]]] = defaultdict(list)
    for pk, vehicle_id, start, block_end, hub_id in (
        booking_model.objects.using(db)
        .filter(status__in=HOLDS_CAR, vehicle__isnull=False)
        .values_list("pk", "vehicle_id", "start", "block_end", "hub_id")
    ):
        by_car[vehicle_id].append((start, pk, block_end, hub_id))
    squeezed: dict[int, datetime] = {}
    for rows in by_car.values():
        previous_end: datetime | None = None
        for start, pk, block_end, hub_id in sorted(rows):
            wanted = start - timedelta(minutes=buffers[hub_id])
            if previous_end is not None and wanted < previous_end:
                squeezed[pk] = min(start, previous_end)
            previous_end = block_end if previous_end is None else max(previous_end, block_end)
    for hub_id, minutes in buffers.items():
        booking_model.objects.using(db).filter(hub_id=hub_id).exclude(pk__in=squeezed).update(
            block_start=F("start") - timedelta(minutes=minutes)
        )
    for pk, block_start in squeezed.items():
        booking_model.objects.using(db).filter(pk=pk).update(block_start=block_start)


def narrow(apps: Any, schema_editor: Any) -> None:
    booking_model = apps.get_model("sharing", "Booking")
    booking_model.objects.using(schema_editor.connection.alias).update(block_start=F("start"))


class Migration(migrations.Migration):
    dependencies = [("sharing", "0003_hub_managers_fair_use")]

    operations = [migrations.RunPython(widen, narrow, elidable=False)]
