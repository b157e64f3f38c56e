"""A hub's grid day per ISP, for the fleet admin's chart: the baseline, the band offered around
it, the deviation ordered, and the net power measured (site meter or chargers, and which).

The baseline is what the grid operator holds the hub to: the newest D-Prognosis of the day
sent to the site's grid operator, its chargers' part from the plan it was made from; without
one, the current plan. An ordered ISP is read against the order's own baseline, as the
settlement reads it, so the chart and the settlement show the same measured figure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from energy.grid.measured import ISP, SOURCE_LABELS, PlannedIsp, measured_net
from energy.grid.models import GridOfferSlot, GridOfferStatus, GridOrderSlot
from energy.grid.selectors import (
    baseline_day,
    day_isp_starts,
    latest_prognosis,
    planned_slots,
)
from energy.models import Site
from sharing.models import Hub

PROGNOSIS = "prognosis"
PLAN = "plan"


@dataclass(frozen=True)
class GridDayIsp:
    isp: int
    start: datetime
    baseline_w: int | None
    offered_up_w: int  # upward flexibility offered (less import), >= 0
    offered_down_w: int  # downward flexibility offered (more import), >= 0
    ordered_w: int  # the ordered deviation (UFTP sign), 0 where nothing was ordered
    measured_w: int | None  # None: not over yet, or nothing measured
    measured_by: str  # energy.grid.measured.SITE_METER, CHARGERS or ""

    @property
    def measured_by_label(self) -> str:
        return str(SOURCE_LABELS[self.measured_by]) if self.measured_w is not None else "—"


@dataclass(frozen=True)
class GridDay:
    hub: Hub
    day: date
    isps: list[GridDayIsp]
    baseline_from: str  # PROGNOSIS, PLAN or "" (neither)
    prognosis_revision: int | None

    @property
    def measured_by(self) -> list[str]:
        """The meters the day's measured figures came from, site meter first."""
        return sorted({i.measured_by for i in self.isps if i.measured_by}, reverse=True)

    @property
    def measured_by_labels(self) -> str:
        return ", ".join(str(SOURCE_LABELS[s]) for s in self.measured_by)


def grid_day(*, hub: Hub, day: date, now: datetime | None = None) -> GridDay:
    now = now or timezone.now()
    starts = day_isp_starts(day, hub.time_zone)
    site = Site.objects.select_related("grid_operator").filter(hub=hub).first()
    operator = site.grid_operator if site is not None else None
    prognosis = latest_prognosis(hub=hub, operator=operator, period=day) if operator else None
    baseline: list[int | None]
    fleet: list[int | None]
    if prognosis is not None and len(prognosis.isp_power_w) == len(starts):
        plan = planned_slots(prognosis.run) if prognosis.run is not None else {}
        baseline = [int(p) for p in prognosis.isp_power_w]
        fleet = [plan[s].fleet_w if s in plan else None for s in starts]
        source = PROGNOSIS
    else:
        current = baseline_day(hub=hub, period=day)
        baseline = list(current.power_w)
        fleet = [
            f if b is not None else None for f, b in zip(current.fleet_w, baseline, strict=True)
        ]
        source = PLAN if current.run is not None else ""
        prognosis = None

    index = {s: i for i, s in enumerate(starts)}
    up: dict[int, int] = defaultdict(int)
    down: dict[int, int] = defaultdict(int)
    # Every offer made for the day that the buyer did not turn down held its band.
    for start, power in (
        GridOfferSlot.objects.filter(offer__hub=hub, offer__period=day)
        .exclude(offer__status=GridOfferStatus.REJECTED)
        .values_list("start", "power_w")
    ):
        if start in index:
            if power < 0:
                up[index[start]] += -power
            else:
                down[index[start]] += power
    ordered: dict[int, int] = defaultdict(int)
    for start, power, order_baseline, order_fleet in GridOrderSlot.objects.filter(
        hub=hub, start__gte=starts[0], start__lt=starts[-1] + ISP
    ).values_list("start", "power_w", "baseline_w", "fleet_w"):
        i = index[start]
        ordered[i] += power
        baseline[i], fleet[i] = order_baseline, order_fleet

    over = [s for s in starts if s + ISP <= now]
    net = measured_net(
        hub_id=hub.pk,
        isps=[PlannedIsp(s, baseline[index[s]], fleet[index[s]]) for s in over],
    )
    isps = []
    for i, start in enumerate(starts):
        measured = net.get(start)
        isps.append(
            GridDayIsp(
                isp=i + 1,
                start=start,
                baseline_w=baseline[i],
                offered_up_w=up[i],
                offered_down_w=down[i],
                ordered_w=ordered[i],
                measured_w=measured.measured_w if measured else None,
                measured_by=measured.source if measured else "",
            )
        )
    return GridDay(
        hub=hub,
        day=day,
        isps=isps,
        baseline_from=source,
        prognosis_revision=prognosis.revision if prognosis else None,
    )
