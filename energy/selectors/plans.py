"""A hub's current plan and its series per slot, for the plan pages, the API and admin."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from energy.models import (
    DispatchRun,
    PlanSlot,
)
from sharing.models import Hub


def current_run(hub: Hub) -> DispatchRun | None:
    return DispatchRun.objects.filter(hub=hub, is_current=True).first()


@dataclass
class HubSeries:
    """Per-slot sums of a run, ready for a chart or a table."""

    starts: list[datetime] = field(default_factory=list)
    base_load_kw: list[float] = field(default_factory=list)
    pv_kw: list[float] = field(default_factory=list)
    fleet_kw: list[float] = field(default_factory=list)
    grid_kw: list[float] = field(default_factory=list)
    flex_up_kw: list[float] = field(default_factory=list)
    flex_down_kw: list[float] = field(default_factory=list)
    import_limit_kw: float = 0.0
    export_limit_kw: float = 0.0
    soc_by_vehicle: dict[str, list[float]] = field(default_factory=dict)


def run_series(run: DispatchRun) -> HubSeries:
    """The site's balance per slot under ``run``'s plan, PV used as the spec's scorer would."""
    doc = run.scenario
    n = run.slots
    fleet = [0.0] * n
    up = [0.0] * n
    down = [0.0] * n
    starts: list[datetime] = []
    soc: dict[str, list[float]] = defaultdict(list)
    rows: QuerySet[PlanSlot] = (
        PlanSlot.objects.filter(run=run)
        .select_related("vehicle")
        .order_by("vehicle_id", "session_id", "start")
    )
    index: dict[datetime, int] = {}
    for row in rows:
        if row.start not in index:
            index[row.start] = len(index)
        t = index[row.start]
        if t >= n:
            continue
        fleet[t] += float(row.power_kw)
        up[t] += float(row.flex_up_kw)
        down[t] += float(row.flex_down_kw)
        label = row.vehicle.plate if row.vehicle else f"session {row.session_id}"
        soc[label].append(float(row.soc_kwh))
    starts = sorted(index, key=index.__getitem__)
    base = [float(v) for v in doc["site"]["base_load_kw"]]
    pv = [float(v) for v in doc["site"]["pv_kw"]]
    export_limits = per_slot(doc["site"]["grid_export_limit_kw"], n)
    export_limit = export_limits[0] if export_limits else 0.0
    grid = []
    for t in range(n):
        demand = base[t] + fleet[t]
        # Use PV up to what the export limit allows; curtail the rest.
        grid.append(max(demand - pv[t], -export_limits[t]))
    return HubSeries(
        starts=starts,
        base_load_kw=base,
        pv_kw=pv,
        fleet_kw=fleet,
        grid_kw=grid,
        flex_up_kw=up,
        flex_down_kw=down,
        import_limit_kw=first_value(doc["site"]["grid_import_limit_kw"]),
        export_limit_kw=export_limit,
        soc_by_vehicle=dict(soc),
    )


SLOT = timedelta(minutes=15)
QUARTER_HOURS = Decimal("0.25")


def per_slot(value: Any, n: int) -> list[float]:
    """A scenario's grid limit (rule 7: one number, or one per slot) as n values."""
    if isinstance(value, list):
        return [float(x) for x in value[:n]] + [0.0] * max(0, n - len(value))
    return [float(value)] * n


def first_value(value: Any) -> float:
    """The limit in force in the plan's first slot (the dashboard's single figure)."""
    if isinstance(value, list):
        return float(value[0]) if value else 0.0
    return float(value)
