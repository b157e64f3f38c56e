"""Reads for the hub dashboard beyond the current plan: the past of the day, per car, prices,
the grid's CO2 intensity and what the hub did for the grid.

- **The past of the day.** A plan starts at its own slot, so the current plan says nothing
  about the hours already gone. Each past slot is shown as the plan that was live then
  planned it (the newest succeeded run that began at or before it), against what was
  measured where something was: the chargers' meter values per ISP (``ChargerIspPower``) for
  the fleet, charge-level readings for the shared cars.
- **CO2.** ``CarbonIntensityHour`` holds what ``import_carbon`` loaded (Electricity Maps' NL
  hourly data, by hour). For a day without records the newest imported year's same weekday
  (whole weeks back) is shown and labelled as such; without any import, ``DEMO_CARBON_SHAPE``.
- **The grid.** When an order asked the hub to deviate and what it earned: each ordered ISP
  as the settlement measures it (``energy.grid.settlement.order_delivery``: the site meter
  where it reported, the chargers otherwise), saying which meter it was.
Read-only: nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Sum

from energy.grid.measured import SOURCE_LABELS
from energy.grid.settlement import order_delivery
from energy.models import (
    ZERO,
    CarbonIntensityHour,
    ChargeLevelReading,
    ChargerIspPower,
    DispatchRun,
    FlexOffer,
    GridOrder,
    OfferStatus,
    PlanSlot,
    PriceSlot,
    RunStatus,
)
from sharing.models import Hub, Vehicle

SLOT = timedelta(minutes=15)
# gCO2eq/kWh by UTC hour: a documented demo shape for when no data is imported (roughly the
# NL 2024 yearly mean of 208 g, lower at midday when solar runs, higher in the evening).
DEMO_CARBON_SHAPE = [
    230, 225, 220, 218, 220, 228, 240, 235, 210, 180, 160, 150,
    148, 152, 165, 190, 225, 255, 265, 260, 250, 245, 240, 235,
]  # fmt: skip


@dataclass
class PastOfDay:
    """Per slot of the dashboard's series: None where nothing is known."""

    planned_pv_kw: dict[int, float] = field(default_factory=dict)
    planned_base_kw: dict[int, float] = field(default_factory=dict)
    planned_fleet_kw: dict[int, float] = field(default_factory=dict)
    planned_up_kw: dict[int, float] = field(default_factory=dict)
    planned_down_kw: dict[int, float] = field(default_factory=dict)
    planned_soc: dict[str, dict[int, float]] = field(default_factory=dict)
    measured_fleet_kw: dict[int, float] = field(default_factory=dict)
    measured_soc: dict[str, dict[int, float]] = field(default_factory=dict)


def past_of_day(
    *, hub: Hub, starts: list[datetime], until: datetime, current: DispatchRun | None
) -> PastOfDay:
    """What the plans live at the time planned for the slots in ``starts`` before ``until``
    that the current plan does not cover, and what was measured in every slot before
    ``until``."""
    out = PastOfDay()
    index = {s: i for i, s in enumerate(starts)}
    covered_from = current.horizon_start if current is not None else until
    past = [s for s in starts if s < min(until, covered_from)]
    if past:
        runs = list(
            DispatchRun.objects.filter(
                hub=hub,
                status=RunStatus.SUCCEEDED,
                horizon_start__lte=past[-1],
                horizon_start__gt=past[0] - timedelta(days=2),
            )
            .order_by("horizon_start", "created_at")
            .values_list("pk", "horizon_start", "slots", "slot_minutes")
        )
        chosen: dict[datetime, tuple[int, int]] = {}  # slot start -> (run pk, slot in run)
        at = 0
        live: tuple[int, datetime, int, int] | None = None
        for moment in past:
            while at < len(runs) and runs[at][1] <= moment:
                live = runs[at]
                at += 1
            if live is None:
                continue
            pk, begun, slots, minutes = live
            t = int((moment - begun) / timedelta(minutes=minutes))
            if t < slots:
                chosen[moment] = (pk, t)
        if chosen:
            wanted = {pk for pk, _ in chosen.values()}
            sites = {
                pk: (pv or [], base or [])
                for pk, pv, base in DispatchRun.objects.filter(pk__in=wanted).values_list(
                    "pk", "scenario__site__pv_kw", "scenario__site__base_load_kw"
                )
            }
            for moment, (pk, t) in chosen.items():
                pv, base = sites.get(pk, ([], []))
                if t < len(pv) and t < len(base):
                    out.planned_pv_kw[index[moment]] = float(pv[t])
                    out.planned_base_kw[index[moment]] = float(base[t])
                    out.planned_fleet_kw[index[moment]] = 0.0
                    out.planned_up_kw[index[moment]] = 0.0
                    out.planned_down_kw[index[moment]] = 0.0
            pairs = {(pk, moment) for moment, (pk, _) in chosen.items()}
            for row in (
                PlanSlot.objects.filter(run_id__in=wanted, start__gte=past[0], start__lte=past[-1])
                .values("run_id", "start")
                .annotate(power=Sum("power_kw"), up=Sum("flex_up_kw"), down=Sum("flex_down_kw"))
                .order_by()
            ):
                if (row["run_id"], row["start"]) in pairs and index[row["start"]] in (
                    out.planned_pv_kw
                ):
                    i = index[row["start"]]
                    out.planned_fleet_kw[i] = float(row["power"] or 0)
                    out.planned_up_kw[i] = float(row["up"] or 0)
                    out.planned_down_kw[i] = float(row["down"] or 0)
            for run_id, plate, moment, soc in PlanSlot.objects.filter(
                run_id__in=wanted,
                vehicle__isnull=False,
                start__gte=past[0],
                start__lte=past[-1],
            ).values_list("run_id", "vehicle__plate", "start", "soc_kwh"):
                if (run_id, moment) in pairs:
                    out.planned_soc.setdefault(plate, {})[index[moment]] = float(soc)
    # measured: the chargers' mean power per ISP, summed over the hub's chargers
    measured = [s for s in starts if s < until]
    if measured:
        for moment, total, samples in ChargerIspPower.objects.filter(
            hub=hub, start__gte=measured[0], start__lte=measured[-1], samples__gt=0
        ).values_list("start", "power_sum_kw", "samples"):
            if moment in index:
                i = index[moment]
                out.measured_fleet_kw[i] = out.measured_fleet_kw.get(i, 0.0) + total / samples
        for plate, moment, soc in (
            ChargeLevelReading.objects.filter(
                vehicle__hub=hub, measured_at__gte=measured[0], measured_at__lt=until
            )
            .exclude(source="plan")
            .order_by("measured_at")
            .values_list("vehicle__plate", "measured_at", "soc_kwh")
        ):
            slot = moment.replace(second=0, microsecond=0)
            slot -= timedelta(minutes=slot.minute % 15)
            if slot in index:
                out.measured_soc.setdefault(plate, {})[index[slot]] = float(soc)
    return out


# --- Per car: small multiples ---------------------------------------------------------------


@dataclass
class CarPanel:
    plate: str
    battery_kwh: float
    planned_path: str  # SVG path data, x per slot, y in kWh (scaled by the template's viewBox)
    measured: list[tuple[float, float]]  # (x, y) points
    now_x: float | None
    last_kwh: float | None


PANEL_W = 192.0
PANEL_H = 48.0


def car_panels(
    *,
    hub: Hub,
    total: int,
    soc_by_car: dict[str, list[float | None]],
    measured: dict[str, dict[int, float]],
    now_index: int | None,
) -> list[CarPanel]:
    """One small chart per shared car (its planned charge and its readings) on the same
    axes: 20 cars side by side stay apart, with no colour to tell them by."""
    batteries = dict(
        Vehicle.objects.filter(hub=hub).values_list("plate", "model__usable_battery_kwh")
    )
    panels: list[CarPanel] = []
    sx = PANEL_W / max(1, total)
    for plate in sorted(set(soc_by_car) | set(measured)):
        battery = float(batteries.get(plate) or 0) or max(
            [v for v in soc_by_car.get(plate, []) if v is not None] + [1.0]
        )

        def y(kwh: float, battery: float = battery) -> float:
            return round(PANEL_H - PANEL_H * min(1.0, max(0.0, kwh / battery)), 2)

        parts: list[str] = []
        pen = False
        last = None
        for i, v in enumerate(soc_by_car.get(plate, [])):
            if v is None:
                pen = False
                continue
            parts.append(f"{'L' if pen else 'M'}{round(i * sx, 2)} {y(v)}")
            pen = True
            if now_index is not None and i <= now_index:
                last = v
        points = [(round(i * sx, 2), y(v)) for i, v in sorted(measured.get(plate, {}).items())]
        if measured.get(plate):
            last = measured[plate][max(measured[plate])]
        panels.append(
            CarPanel(
                plate=plate,
                battery_kwh=battery,
                planned_path=" ".join(parts),
                measured=points,
                now_x=None if now_index is None else round(now_index * sx, 2),
                last_kwh=last,
            )
        )
    return panels


# --- Price and CO2 --------------------------------------------------------------------------


@dataclass
class CarbonDay:
    values: list[float | None]  # gCO2eq/kWh per slot of the series
    source: str  # "measured", "same weekday" or "demo"
    from_day: date | None  # the day the values come from, when not the day itself


def prices_for(*, hub: Hub, starts: list[datetime]) -> list[float | None]:
    """Day-ahead price (EUR/kWh) per slot; an hourly price fills its four quarter hours."""
    site = getattr(hub, "site", None)
    area = site.price_area if site is not None else "NL"
    known = {
        s: float(p)
        for s, p in PriceSlot.objects.filter(
            area=area, start__gte=starts[0], start__lte=starts[-1]
        ).values_list("start", "day_ahead_eur_per_kwh")
    }
    return [known.get(s) for s in starts]


def carbon_for(
    *, starts: list[datetime], area: str = "NL", tz: ZoneInfo | None = None
) -> CarbonDay:
    lo, hi = starts[0], starts[-1] + SLOT
    hours = _carbon_hours(area, lo, hi)
    if hours:
        return CarbonDay(_spread(hours, starts), "measured", None)
    newest = CarbonIntensityHour.objects.filter(area=area).order_by("-start").first()
    if newest is not None:
        weeks = max(1, -(-(lo - newest.start).days // 7))  # whole weeks back: same weekday
        shift = timedelta(weeks=weeks)
        hours = _carbon_hours(area, lo - shift, hi - shift)
        if hours:
            moved = {s + shift: v for s, v in hours.items()}
            first = (lo - shift).astimezone(tz or ZoneInfo("UTC"))
            return CarbonDay(_spread(moved, starts), "same weekday", first.date())
    demo = {
        s.replace(minute=0): float(DEMO_CARBON_SHAPE[s.hour])
        for s in starts
        if s.minute == 0 or s == starts[0]
    }
    return CarbonDay(_spread(demo, starts), "demo", None)


def _carbon_hours(area: str, lo: datetime, hi: datetime) -> dict[datetime, float]:
    return {
        s: float(g)
        for s, g in CarbonIntensityHour.objects.filter(
            area=area, start__gte=lo - timedelta(hours=1), start__lt=hi
        ).values_list("start", "direct_g_per_kwh")
    }


def _spread(hours: dict[datetime, float], starts: list[datetime]) -> list[float | None]:
    return [hours.get(s.replace(minute=0, second=0, microsecond=0)) for s in starts]


# --- What the hub's batteries did for the grid ----------------------------------------------


@dataclass(frozen=True)
class HelpedIsp:
    """One quarter hour the grid ordered the hub to deviate, and what was measured."""

    start: datetime
    ordered_kw: float  # the deviation ordered, as a positive figure
    less_import: bool  # upward flexibility (the hub draws less or feeds back more)
    delivered_kw: float | None  # delivered in the ordered direction (None: not measured yet)
    measured_by: str  # which meter measured it (a label), or "" not yet


@dataclass
class GridService:
    held_kwh: float  # flexibility held available (offered or activated offers), kW x hours
    held_eur: Decimal  # what holding it earns at the capacity prices
    ordered_kwh: float  # flexibility the grid operator or an aggregator ordered
    ordered_eur: Decimal  # the orders' agreed prices
    orders: int
    earned_eur: Decimal = ZERO  # what the orders earned as delivered (ISPs over so far)
    helped: list[HelpedIsp] = field(default_factory=list)

    @property
    def measured_by(self) -> str:
        """The meters today's delivery was measured by, e.g. "site meter, chargers"."""
        return ", ".join(dict.fromkeys(h.measured_by for h in self.helped if h.measured_by))


def grid_service(*, hub: Hub, lo: datetime, hi: datetime) -> GridService:
    held = 0.0
    held_eur = ZERO
    for up, down, up_p, down_p in FlexOffer.objects.filter(
        hub=hub,
        start__gte=lo,
        start__lt=hi,
        status__in=[OfferStatus.OFFERED, OfferStatus.ACTIVATED],
    ).values_list("up_kw", "down_kw", "up_eur_per_kw", "down_eur_per_kw"):
        held += float(up + down) / 4
        held_eur += up * up_p + down * down_p
    orders = (
        GridOrder.objects.filter(slots__hub=hub, slots__start__gte=lo, slots__start__lt=hi)
        .distinct()
        .select_related("offer")
        .prefetch_related("slots")
    )
    service = GridService(held_kwh=held, held_eur=held_eur.quantize(Decimal("0.01")),
                          ordered_kwh=0.0, ordered_eur=ZERO, orders=0)  # fmt: skip
    earned = ZERO
    for order in orders:
        delivery = order_delivery(order)
        service.orders += 1
        service.ordered_eur += order.price_eur
        earned += delivery.income_eur
        for isp in delivery.isps:
            if not lo <= isp.start < hi:
                continue
            service.ordered_kwh += abs(isp.ordered_w) / 1000 / 4
            measured = isp.settled and isp.measured_w is not None
            service.helped.append(
                HelpedIsp(
                    start=isp.start,
                    ordered_kw=abs(isp.ordered_w) / 1000,
                    less_import=isp.ordered_w < 0,
                    delivered_kw=isp.counted_w / 1000 if measured else None,
                    measured_by=str(SOURCE_LABELS[isp.source]) if measured else "",
                )
            )
    service.helped.sort(key=lambda h: h.start)
    service.ordered_eur = service.ordered_eur.quantize(Decimal("0.01"))
    service.earned_eur = earned.quantize(Decimal("0.01"))
    return service


def as_series(values: dict[int, float], total: int) -> list[float | None]:
    out: list[float | None] = [None] * total
    for i, v in values.items():
        out[i] = v
    return out


def merge_soc(
    current: dict[str, list[float | None]], past: dict[str, dict[int, float]], total: int
) -> dict[str, list[float | None]]:
    out: dict[str, list[float | None]] = defaultdict(lambda: [None] * total)
    for plate, values in current.items():
        out[plate] = list(values)
    for plate, points in past.items():
        series = out[plate]
        for i, v in points.items():
            if series[i] is None:
                series[i] = v
    return dict(out)
