"""Reads of the grid side: the baseline (D-Prognosis) of a connection's day from the current
plan, the flexibility still free to offer, and the bands accepted orders put on the scenario.

Everything is per ISP (15 minutes, numbered from 1 at local midnight, so a day has 92, 96 or
100 of them) and in whole watts, positive for import (UFTP's sign; see ``energy.grid``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet, Sum

from energy.grid.measured import ISP
from energy.grid.models import (
    Aggregator,
    CapacityEvent,
    CapacityEventStatus,
    CapacityPayload,
    DPrognosis,
    FlexDirection,
    GridOffer,
    GridOfferSlot,
    GridOfferStatus,
    GridOperator,
    GridOrder,
    GridOrderSlot,
    PrognosisStatus,
)
from energy.models import DispatchRun, FlexPriceSlot, PlanSlot, Site
from energy.selectors import current_run, local_day_bounds
from sharing.models import Hub

UNPLANNED_MARGIN = timedelta(minutes=1)
Buyer = GridOperator | Aggregator


def congestion_point(site: Site) -> str:
    """The connection as a UFTP entity address."""
    return f"ean.{site.ean}"


def day_isp_starts(day: date, time_zone: str) -> list[datetime]:
    """UTC start of each ISP of a local day (ISP n is ``starts[n - 1]``)."""
    lo, hi = local_day_bounds(day, ZoneInfo(time_zone))
    count = int((hi - lo) / ISP)
    return [lo + i * ISP for i in range(count)]


@dataclass(frozen=True)
class PlannedSlot:
    net_w: int  # planned import (+) or export (-) of the connection
    fleet_w: int  # of which the cars at the chargers (charging +, feeding back -)
    up_w: int  # upward flexibility the plan holds (less import), >= 0
    down_w: int  # downward flexibility the plan holds (more import), >= 0


def _per_slot(value: object, n: int) -> list[float]:
    if isinstance(value, list):
        return [float(v) for v in value]
    return [float(value)] * n  # type: ignore[arg-type]


def planned_slots(run: DispatchRun) -> dict[datetime, PlannedSlot]:
    """The connection's balance per slot under ``run``: base load plus fleet less PV, PV
    curtailed only as far as the export limit needs (as ``energy.selectors.run_series``)."""
    site = run.scenario["site"]
    n = run.slots
    base = _per_slot(site["base_load_kw"], n)
    pv = _per_slot(site["pv_kw"], n)
    export_limit = _per_slot(site["grid_export_limit_kw"], n)
    sums = {
        row["start"]: row
        for row in PlanSlot.objects.filter(run=run)
        .values("start")
        .annotate(p=Sum("power_kw"), up=Sum("flex_up_kw"), down=Sum("flex_down_kw"))
    }
    minutes = run.slot_minutes
    out: dict[datetime, PlannedSlot] = {}
    for t in range(n):
        start = run.horizon_start + timedelta(minutes=minutes * t)
        row = sums.get(start)
        fleet = float(row["p"]) if row else 0.0
        net = max(base[t] + fleet - pv[t], -export_limit[t])
        out[start] = PlannedSlot(
            net_w=round(net * 1000),
            fleet_w=round(fleet * 1000),
            up_w=round(float(row["up"]) * 1000) if row else 0,
            down_w=round(float(row["down"]) * 1000) if row else 0,
        )
    return out


def latest_prognosis(*, hub: Hub, operator: GridOperator, period: date) -> DPrognosis | None:
    return (
        DPrognosis.objects.filter(hub=hub, operator=operator, period=period)
        .exclude(status=PrognosisStatus.FAILED)
        .order_by("-revision")
        .first()
    )


@dataclass(frozen=True)
class Baseline:
    period: date
    starts: list[datetime]
    power_w: list[int | None]  # None: the plan does not cover this ISP
    fleet_w: list[int]
    up_w: list[int]
    down_w: list[int]
    run: DispatchRun | None


def baseline_day(*, hub: Hub, period: date) -> Baseline:
    """The current plan's net power per ISP of ``period``, and the flexibility it holds."""
    starts = day_isp_starts(period, hub.time_zone)
    run = current_run(hub)
    plan = planned_slots(run) if run else {}
    slots = [plan.get(s) for s in starts]
    return Baseline(
        period=period,
        starts=starts,
        power_w=[s.net_w if s else None for s in slots],
        fleet_w=[s.fleet_w if s else 0 for s in slots],
        up_w=[s.up_w if s else 0 for s in slots],
        down_w=[s.down_w if s else 0 for s in slots],
        run=run,
    )


def flex_free(*, hub: Hub, baseline: Baseline, now: datetime) -> tuple[list[int], list[int]]:
    """Upward and downward watts per ISP that no open offer or unplanned order holds yet.

    The plan's flexibility is what rule 8 makes safe to activate all at once; an open offer
    holds its share until it expires or is ordered, and an order accepted after the plan was
    made holds its share until a re-plan has the order's band in it.
    """
    n = len(baseline.starts)
    up = list(baseline.up_w)
    down = list(baseline.down_w)
    index = {s: i for i, s in enumerate(baseline.starts)}
    holding = Q(offer__status=GridOfferStatus.OPEN, offer__expires_at__gt=now)
    if baseline.run is not None:
        # The run's scenario is read just before the run is recorded: an order accepted
        # shortly before may not be in it, so it keeps holding (offering less is safe).
        holding |= Q(
            offer__status=GridOfferStatus.ORDERED,
            offer__order__accepted_at__gte=baseline.run.created_at - UNPLANNED_MARGIN,
        )
    held = GridOfferSlot.objects.filter(
        holding,
        offer__hub=hub,
        start__gte=baseline.starts[0],
        start__lt=baseline.starts[-1] + ISP,
    )
    for slot in held.values("start", "power_w"):
        i = index.get(slot["start"])
        if i is None:
            continue
        if slot["power_w"] < 0:
            up[i] -= -slot["power_w"]
        else:
            down[i] -= slot["power_w"]
    # A slot ordered one way cannot be offered the other way: the band would be empty.
    for slot in GridOrderSlot.objects.filter(
        hub=hub, start__gte=baseline.starts[0], start__lt=baseline.starts[-1] + ISP
    ).values("start", "power_w"):
        i = index.get(slot["start"])
        if i is None:
            continue
        if slot["power_w"] < 0:
            down[i] = 0
        elif slot["power_w"] > 0:
            up[i] = 0
    return [max(0, v) for v in up[:n]], [max(0, v) for v in down[:n]]


def flex_prices(*, site: Site, starts: list[datetime]) -> dict[datetime, tuple[float, float]]:
    """Capacity prices (EUR per kW held for the slot): up, down."""
    rows = FlexPriceSlot.objects.filter(
        area=site.price_area, start__gte=starts[0], start__lte=starts[-1]
    )
    return {r.start: (float(r.up_eur_per_kw), float(r.down_eur_per_kw)) for r in rows}


def capacity_limits(
    *, hub: Hub, start: datetime, slots: int, minutes: int
) -> tuple[list[float | None], list[float | None]] | None:
    """The tightest OpenADR import and export capacity limit (kW) per slot from the hub's
    active capacity events (None in a slot none limits), or None if none touches the horizon.

    An interval limits every slot it overlaps, even in part: the VTN's limit holds for all of
    its interval, and the plan is a mean power per slot.
    """
    step = timedelta(minutes=minutes)
    end = start + step * slots
    events = CapacityEvent.objects.filter(
        connection__hub=hub,
        connection__active=True,
        status=CapacityEventStatus.ACTIVE,
        starts_at__lt=end,
        ends_at__gt=start,
    ).values_list("payload_type", "intervals")
    limits: dict[str, list[float | None]] = {
        CapacityPayload.IMPORT: [None] * slots,
        CapacityPayload.EXPORT: [None] * slots,
    }
    touched = False
    for kind, intervals in events:
        out = limits[kind]
        for interval in intervals:
            lo = datetime.fromisoformat(interval["start"])
            hi = datetime.fromisoformat(interval["end"])
            first = max(0, int((lo - start) // step))
            last = min(slots, -int(-(hi - start) // step))  # ceiling: slots it reaches into
            for t in range(first, last):
                value = float(interval["value_kw"])
                current = out[t]
                out[t] = value if current is None else min(current, value)
                touched = True
    if not touched:
        return None
    return limits[CapacityPayload.IMPORT], limits[CapacityPayload.EXPORT]


def grid_bands(
    *,
    hub: Hub,
    start: datetime,
    slots: int,
    minutes: int,
    import_limit_kw: float,
    export_limit_kw: float,
) -> tuple[list[float], list[float]] | None:
    """Per-slot grid limits with every accepted order and every active OpenADR capacity limit
    in them (spec rule 7): in each slot the tightest of the site's limit, the orders and the
    capacity events. None if neither an order nor an event touches the horizon.

    An order for upward flexibility of ``u`` W on a baseline of ``b`` W caps import at
    ``b - u`` (negative: the hub must export at least that much); one for downward
    flexibility ``d`` caps export at ``-(b + d)`` (negative: it must import at least that).
    """
    end = start + timedelta(minutes=minutes * slots)
    rows = list(
        GridOrderSlot.objects.filter(hub=hub, start__gte=start, start__lt=end).values(
            "start", "power_w", "baseline_w"
        )
    )
    caps = capacity_limits(hub=hub, start=start, slots=slots, minutes=minutes)
    if not rows and caps is None:
        return None
    imp = [import_limit_kw] * slots
    exp = [export_limit_kw] * slots
    if caps is not None:
        imp = [v if c is None else min(v, c) for v, c in zip(imp, caps[0], strict=True)]
        exp = [v if c is None else min(v, c) for v, c in zip(exp, caps[1], strict=True)]
    for row in rows:
        t = int((row["start"] - start) / timedelta(minutes=minutes))
        target = (row["baseline_w"] + row["power_w"]) / 1000
        if row["power_w"] < 0:
            imp[t] = min(imp[t], target)
        elif row["power_w"] > 0:
            exp[t] = min(exp[t], -target)
    for t in range(slots):
        # Never an empty band (the spec forbids one); orders of both directions in one slot
        # are refused, so this only guards the site's own limits and a capacity limit under
        # an order's minimum import, where the capacity limit wins.
        if imp[t] < -exp[t]:
            exp[t] = -imp[t]
    return [round(v, 3) for v in imp], [round(v, 3) for v in exp]


def offers_of(buyer: Buyer) -> QuerySet[GridOffer]:
    field = "operator" if isinstance(buyer, GridOperator) else "aggregator"
    return (
        GridOffer.objects.filter(**{field: buyer}).select_related("hub").prefetch_related("slots")
    )


def open_offers_of(buyer: Buyer, *, now: datetime) -> QuerySet[GridOffer]:
    return offers_of(buyer).filter(status=GridOfferStatus.OPEN, expires_at__gt=now)


def orders_of(buyer: Buyer) -> QuerySet[GridOrder]:
    field = "offer__operator" if isinstance(buyer, GridOperator) else "offer__aggregator"
    return (
        GridOrder.objects.filter(**{field: buyer})
        .select_related("offer__hub")
        .prefetch_related("slots")
    )


def direction_of(power_w: int) -> str:
    return FlexDirection.UP if power_w < 0 else FlexDirection.DOWN


def order_delivery(*, order: GridOrder) -> list[dict[str, Any]]:
    """Per ISP of an order: the baseline, the ordered deviation, and what the current plan
    holds there now (after the re-plan, the ordered deviation is in it)."""
    hub = order.offer.hub
    run = current_run(hub)
    plan = planned_slots(run) if run else {}
    rows: list[dict[str, Any]] = []
    for slot in order.slots.all():
        planned = plan.get(slot.start)
        rows.append(
            {
                "isp": slot.isp,
                "start": slot.start,
                "baseline_w": slot.baseline_w,
                "ordered_w": slot.power_w,
                "planned_w": planned.net_w if planned else None,
                "planned_deviation_w": planned.net_w - slot.baseline_w if planned else None,
            }
        )
    return rows
