"""The hub dashboard's day: plan against measured, solar, bookings, flexibility and income."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.formats import date_format

from energy.models import (
    ZERO,
    DispatchRun,
    FlexOffer,
    OfferStatus,
    PlanSlot,
)
from energy.selectors import dashboard_panels
from energy.selectors.plans import SLOT, current_run, first_value
from sharing.models import Booking, BookingStatus, Hub

SERVED_STATUSES = (BookingStatus.BOUND, BookingStatus.ACTIVE, BookingStatus.COMPLETED)
COUNTED_STATUSES = (*SERVED_STATUSES, BookingStatus.CONFIRMED)


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Midnight to midnight of a local day, in UTC (92 or 100 quarter hours on clock changes)."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass
class DashboardDay:
    day: date
    first: int  # index of the day's first slot in the dashboard's series
    slots: int  # 92, 96 or 100
    covered: int = 0  # slots the current plan says something about
    solar_kwh: float = 0.0
    fleet_charge_kwh: float = 0.0
    solar_share: float | None = None  # share of the fleet's charging covered by surplus solar
    peak_import_kw: float | None = None
    flex_income_eur: Decimal = ZERO
    bookings: int = 0
    bookings_served: int = 0
    covered_from: datetime | None = None  # the first slot with numbers (past plans included)


@dataclass
class HubDashboard:
    """Today and tomorrow (hub-local days), one value per 15 minutes; ``None`` where no plan."""

    hub: Hub
    run: DispatchRun | None
    tz: ZoneInfo
    days: list[DashboardDay]
    starts: list[datetime]
    pv_kw: list[float | None]
    base_load_kw: list[float | None]
    fleet_kw: list[float | None]
    grid_kw: list[float | None]
    flex_up_kw: list[float | None]
    flex_down_kw: list[float | None]
    import_limit_kw: float | None
    export_limit_kw: float | None
    soc_by_car: dict[str, list[float | None]]
    plan_starts_at: datetime | None
    # the past of the day (dashboard_panels): measured where measured, per car, price, CO2
    measured_fleet_kw: list[float | None] = field(default_factory=list)
    price_eur_per_kwh: list[float | None] = field(default_factory=list)
    carbon: Any = None  # a dashboard_panels.CarbonDay
    panels: list[Any] = field(default_factory=list)  # a dashboard_panels.CarPanel per car
    grid_service: Any = None  # today's dashboard_panels.GridService
    now_index: int | None = None

    def chart_data(self) -> dict[str, Any]:
        """Plain JSON for ``json_script``: labels in hub-local time, one list per series."""
        return {
            "labels": [s.astimezone(self.tz).strftime("%H:%M") for s in self.starts],
            "days": [
                {
                    "day": d.day.isoformat(),
                    "label": date_format(d.day, "MONTH_DAY_FORMAT"),
                    "first": d.first,
                    "slots": d.slots,
                }
                for d in self.days
            ],
            "pv_kw": self.pv_kw,
            "base_load_kw": self.base_load_kw,
            "fleet_kw": self.fleet_kw,
            "grid_kw": self.grid_kw,
            "flex_up_kw": self.flex_up_kw,
            "flex_down_kw": self.flex_down_kw,
            "import_limit_kw": self.import_limit_kw,
            "export_limit_kw": self.export_limit_kw,
            "soc_by_car": self.soc_by_car,
            "measured_fleet_kw": self.measured_fleet_kw,
            "price_eur_per_kwh": self.price_eur_per_kwh,
            "carbon_g_per_kwh": self.carbon.values if self.carbon is not None else [],
            "now_index": self.now_index,
        }

    def rows(self, day: DashboardDay) -> list[dict[str, Any]]:
        """Table rows of one day: slots without plan data are left out."""
        out: list[dict[str, Any]] = []
        for i in range(day.first, day.first + day.slots):
            if self.grid_kw[i] is None:
                continue
            out.append(
                {
                    "start": self.starts[i],
                    "pv_kw": self.pv_kw[i],
                    "base_load_kw": self.base_load_kw[i],
                    "fleet_kw": self.fleet_kw[i],
                    "grid_kw": self.grid_kw[i],
                    "flex_up_kw": self.flex_up_kw[i],
                    "flex_down_kw": self.flex_down_kw[i],
                    "measured_fleet_kw": (
                        self.measured_fleet_kw[i] if i < len(self.measured_fleet_kw) else None
                    ),
                    "past": self.now_index is not None and i < self.now_index,
                    "over_limit": self.import_limit_kw is not None
                    and (self.grid_kw[i] or 0.0) > self.import_limit_kw + 1e-6,
                }
            )
        return out


def hub_dashboard(*, hub: Hub, today: date | None = None) -> HubDashboard:
    """The hub's aggregate energy picture for its local today and tomorrow.

    Flat reads only: one query for per-slot sums of the plan, one for the shared cars' charge,
    one for flexibility income and one for bookings. Residents' own cars appear only inside
    the fleet's sums, never one by one.
    """
    tz = hub.tz
    today = today or timezone.now().astimezone(tz).date()
    days: list[DashboardDay] = []
    starts: list[datetime] = []
    for offset in range(2):
        day = today + timedelta(days=offset)
        lo, hi = local_day_bounds(day, tz)
        n = int((hi - lo) / SLOT)
        days.append(DashboardDay(day=day, first=len(starts), slots=n))
        starts.extend(lo + i * SLOT for i in range(n))
    window_start, window_end = starts[0], starts[-1] + SLOT
    total = len(starts)
    empty: list[float | None] = [None] * total
    board = HubDashboard(
        hub=hub,
        run=current_run(hub),
        tz=tz,
        days=days,
        starts=starts,
        pv_kw=list(empty),
        base_load_kw=list(empty),
        fleet_kw=list(empty),
        grid_kw=list(empty),
        flex_up_kw=list(empty),
        flex_down_kw=list(empty),
        import_limit_kw=None,
        export_limit_kw=None,
        soc_by_car={},
        plan_starts_at=None,
    )
    _bookings_into(board, window_start, window_end)
    _flex_income_into(board, window_start, window_end)
    run = board.run
    if run is None:
        return board
    now = timezone.now()
    now_index = next((i for i, s in enumerate(starts) if s <= now < s + SLOT), None)
    board.now_index = now_index
    past = dashboard_panels.past_of_day(hub=hub, starts=starts, until=now, current=run)
    board.measured_fleet_kw = dashboard_panels.as_series(past.measured_fleet_kw, total)
    board.price_eur_per_kwh = dashboard_panels.prices_for(hub=hub, starts=starts)
    board.carbon = dashboard_panels.carbon_for(starts=starts, area=hub.site.price_area, tz=tz)
    today_lo, today_hi = local_day_bounds(today, tz)
    board.grid_service = dashboard_panels.grid_service(hub=hub, lo=today_lo, hi=today_hi)

    site = run.scenario.get("site", {})
    board.import_limit_kw = first_value(site.get("grid_import_limit_kw", 0.0))
    board.export_limit_kw = first_value(site.get("grid_export_limit_kw", 0.0))
    board.plan_starts_at = run.horizon_start
    pv = site.get("pv_kw", [])
    base = site.get("base_load_kw", [])
    step = timedelta(minutes=run.slot_minutes)
    index = {s: i for i, s in enumerate(starts)}
    run_slots = [run.horizon_start + t * step for t in range(run.slots)]
    for t, moment in enumerate(run_slots):
        i = index.get(moment)
        if i is None or t >= len(pv) or t >= len(base):
            continue
        board.pv_kw[i] = float(pv[t])
        board.base_load_kw[i] = float(base[t])
        board.fleet_kw[i] = 0.0
        board.flex_up_kw[i] = 0.0
        board.flex_down_kw[i] = 0.0

    for i, pv_past in past.planned_pv_kw.items():  # slots before the current plan
        if board.pv_kw[i] is None:
            board.pv_kw[i] = pv_past
            board.base_load_kw[i] = past.planned_base_kw[i]
            board.fleet_kw[i] = past.planned_fleet_kw.get(i, 0.0)
            board.flex_up_kw[i] = past.planned_up_kw.get(i, 0.0)
            board.flex_down_kw[i] = past.planned_down_kw.get(i, 0.0)

    charging: dict[int, float] = {
        i: max(0.0, kw) for i, kw in past.planned_fleet_kw.items() if kw > 0
    }
    sums = (
        PlanSlot.objects.filter(run=run, start__gte=window_start, start__lt=window_end)
        .values("start")
        .annotate(
            power=Sum("power_kw"),
            charge=Sum("power_kw", filter=Q(power_kw__gt=0)),
            up=Sum("flex_up_kw"),
            down=Sum("flex_down_kw"),
        )
        .order_by("start")
    )
    for row in sums:
        i = index.get(row["start"])
        if i is None or board.pv_kw[i] is None:
            continue
        board.fleet_kw[i] = float(row["power"] or 0)
        board.flex_up_kw[i] = float(row["up"] or 0)
        board.flex_down_kw[i] = float(row["down"] or 0)
        charging[i] = float(row["charge"] or 0)

    export_limit = board.export_limit_kw
    for i in range(total):
        p, b, f = board.pv_kw[i], board.base_load_kw[i], board.fleet_kw[i]
        if p is None or b is None or f is None:
            continue
        # PV is used up to what the export limit allows; the rest is curtailed.
        board.grid_kw[i] = max(b + f - p, -export_limit)

    soc: dict[str, list[float | None]] = {}
    for plate, moment, kwh in (
        PlanSlot.objects.filter(
            run=run, vehicle__isnull=False, start__gte=window_start, start__lt=window_end
        )
        .order_by("vehicle__plate", "start")
        .values_list("vehicle__plate", "start", "soc_kwh")
    ):
        i = index.get(moment)
        if i is not None:
            soc.setdefault(plate, list(empty))[i] = float(kwh)
    board.soc_by_car = dashboard_panels.merge_soc(soc, past.planned_soc, total)
    board.panels = dashboard_panels.car_panels(
        hub=hub,
        total=days[0].slots,
        soc_by_car={p: v[: days[0].slots] for p, v in board.soc_by_car.items()},
        measured=past.measured_soc,
        now_index=now_index,
    )

    hours = run.slot_minutes / 60
    for d in days:
        span = range(d.first, d.first + d.slots)
        covered = [i for i in span if board.grid_kw[i] is not None]
        d.covered = len(covered)
        if not covered:
            continue
        d.covered_from = starts[covered[0]]
        d.solar_kwh = sum((board.pv_kw[i] or 0.0) for i in covered) * hours
        charge = sum(charging.get(i, 0.0) for i in covered) * hours
        from_sun = (
            sum(
                min(
                    charging.get(i, 0.0),
                    max(0.0, (board.pv_kw[i] or 0.0) - (board.base_load_kw[i] or 0.0)),
                )
                for i in covered
            )
            * hours
        )
        d.fleet_charge_kwh = charge
        d.solar_share = from_sun / charge if charge > 0 else None
        d.peak_import_kw = max(max((board.grid_kw[i] or 0.0) for i in covered), 0.0)
    return board


def _bookings_into(board: HubDashboard, lo: datetime, hi: datetime) -> None:
    rows = (
        Booking.objects.filter(
            hub=board.hub, start__gte=lo, start__lt=hi, status__in=COUNTED_STATUSES
        )
        .values_list("start", "status")
        .order_by()
    )
    for start, status in rows:
        day = start.astimezone(board.tz).date()
        for d in board.days:
            if d.day == day:
                d.bookings += 1
                d.bookings_served += status in SERVED_STATUSES


def _flex_income_into(board: HubDashboard, lo: datetime, hi: datetime) -> None:
    income = ExpressionWrapper(
        F("up_kw") * F("up_eur_per_kw") + F("down_kw") * F("down_eur_per_kw"),
        output_field=DecimalField(max_digits=18, decimal_places=6),
    )
    rows = (
        FlexOffer.objects.filter(hub=board.hub, start__gte=lo, start__lt=hi)
        .exclude(status=OfferStatus.EXPIRED)
        .values_list("start", income)
        .order_by()
    )
    for start, eur in rows:
        day = start.astimezone(board.tz).date()
        for d in board.days:
            if d.day == day:
                d.flex_income_eur += eur or ZERO


def hubs_visible() -> QuerySet[Hub]:
    """Hubs with an energy site: any resident may see their aggregate energy data."""
    return Hub.objects.filter(site__isnull=False).order_by("name")
