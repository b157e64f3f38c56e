"""Reads of plans and energy data, for pages, the API and admin."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from energy.models import (
    ZERO,
    Charger,
    ChargerIspPower,
    ChargingSession,
    DispatchRun,
    FlexOffer,
    FlexPriceSlot,
    OfferStatus,
    PlanSlot,
    PrivateCar,
    RunStatus,
    SessionStatus,
)
from sharing.models import Bay, Booking, BookingStatus, Hub


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
    export_limits = _per_slot(doc["site"]["grid_export_limit_kw"], n)
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
        import_limit_kw=_first(doc["site"]["grid_import_limit_kw"]),
        export_limit_kw=export_limit,
        soc_by_vehicle=dict(soc),
    )


def flex_offers_for(hub: Hub, *, since: datetime, until: datetime) -> QuerySet[FlexOffer]:
    return FlexOffer.objects.filter(hub=hub, start__gte=since, start__lt=until).order_by("start")


# --- Pages: the hub dashboard and a resident's own car ------------------------------------

SLOT = timedelta(minutes=15)
QUARTER_HOURS = Decimal("0.25")
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
    # the past of the day (energy.dashboard): measured where measured, per car, price, CO2
    measured_fleet_kw: list[float | None] = field(default_factory=list)
    price_eur_per_kwh: list[float | None] = field(default_factory=list)
    carbon: Any = None  # energy.dashboard.CarbonDay
    panels: list[Any] = field(default_factory=list)  # energy.dashboard.CarPanel per shared car
    grid_service: Any = None  # energy.dashboard.GridService of today
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
    from energy import dashboard  # it reads the models this module's callers write

    now = timezone.now()
    now_index = next((i for i, s in enumerate(starts) if s <= now < s + SLOT), None)
    board.now_index = now_index
    past = dashboard.past_of_day(hub=hub, starts=starts, until=now, current=run)
    board.measured_fleet_kw = dashboard.as_series(past.measured_fleet_kw, total)
    board.price_eur_per_kwh = dashboard.prices_for(hub=hub, starts=starts)
    board.carbon = dashboard.carbon_for(starts=starts, area=hub.site.price_area, tz=tz)
    today_lo, today_hi = local_day_bounds(today, tz)
    board.grid_service = dashboard.grid_service(hub=hub, lo=today_lo, hi=today_hi)

    site = run.scenario.get("site", {})
    board.import_limit_kw = _first(site.get("grid_import_limit_kw", 0.0))
    board.export_limit_kw = _first(site.get("grid_export_limit_kw", 0.0))
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
    board.soc_by_car = dashboard.merge_soc(soc, past.planned_soc, total)
    board.panels = dashboard.car_panels(
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


def private_cars_of(*, user: User) -> list[PrivateCar]:
    """The resident's own cars, each with ``active_session`` (or ``None``) attached."""
    cars = list(PrivateCar.objects.filter(owner=user).order_by("plate"))
    active = {
        s.car_id: s
        for s in ChargingSession.objects.filter(
            car__owner=user, status=SessionStatus.ACTIVE
        ).select_related("bay__hub")
    }
    for car in cars:
        car.active_session = active.get(car.pk)  # type: ignore[attr-defined]
    return cars


def bays_free_for_private_cars() -> QuerySet[Bay]:
    """Bays without a shared car of their own and without a car plugged in."""
    busy = ChargingSession.objects.filter(status=SessionStatus.ACTIVE).values("bay_id")
    return (
        Bay.objects.filter(hub__site__isnull=False, home_vehicles__isnull=True)
        .exclude(pk__in=busy)
        .select_related("hub")
        .order_by("hub__name", "label")
        .distinct()
    )


@dataclass(frozen=True)
class SessionPlanPoint:
    start: datetime
    power_kw: float
    soc_kwh: float


def session_plan(*, session: ChargingSession) -> list[SessionPlanPoint]:
    """The current plan of the hub for this plugged-in car, slot by slot."""
    run = DispatchRun.objects.filter(hub_id=session.bay.hub_id, is_current=True).first()
    if run is None:
        return []
    return [
        SessionPlanPoint(start=start, power_kw=float(power), soc_kwh=float(soc))
        for start, power, soc in PlanSlot.objects.filter(run=run, session=session)
        .order_by("start")
        .values_list("start", "power_kw", "soc_kwh")
    ]


def session_executed_fed_back_kwh(*, session: ChargingSession) -> Decimal:
    """Energy fed back as planned for the slots that have begun, by the run made at each slot.

    Each run's first slot is what the chargers were told to do; where several runs began at
    the same slot the newest counts.
    """
    seen: set[datetime] = set()
    total = ZERO
    for start, power in (
        PlanSlot.objects.filter(
            session=session,
            start=F("run__horizon_start"),
            run__status=RunStatus.SUCCEEDED,
            start__lt=timezone.now(),
        )
        .order_by("start", "-run__created_at")
        .values_list("start", "power_kw")
    ):
        if start in seen:
            continue
        seen.add(start)
        if power < 0:
            total += -power * QUARTER_HOURS
    return total


# The battery model of the scenarios (energy.scenario): a kWh drawn stores 0.92 kWh.
SESSION_CHARGE_EFFICIENCY = 0.92


def session_charge_estimate_kwh(*, session: ChargingSession, now: datetime | None = None) -> float:
    """What the plugged-in car holds now: its charge at plug-in plus, per quarter hour since,
    the bay charger's metered power where it has meter values and the power the plan of that
    quarter hour sent (the newest run beginning there) elsewhere; the quarter hour under way
    counts for the part that has passed. A resident's car reports no charge of its own."""
    now = now or timezone.now()
    step = timedelta(minutes=15)
    begun = session.plugged_in_at.replace(second=0, microsecond=0)
    begun -= timedelta(minutes=begun.minute % 15)
    planned: dict[datetime, float] = {}
    for start, power in (
        PlanSlot.objects.filter(
            session=session,
            start=F("run__horizon_start"),
            run__status=RunStatus.SUCCEEDED,
            start__gte=begun,
            start__lt=now,
        )
        .order_by("start", "-run__created_at")
        .values_list("start", "power_kw")
    ):
        planned.setdefault(start, float(power))
    measured: dict[datetime, float] = {}
    charger = Charger.objects.filter(bay_id=session.bay_id).only("pk").first()
    if charger is not None:
        until = session.ended_at or now
        for row in ChargerIspPower.objects.filter(
            charger=charger, start__gte=begun, start__lt=until, samples__gt=0
        ):
            measured[row.start] = row.mean_kw
    battery = float(session.car.battery_kwh)
    soc = min(float(session.initial_soc_kwh), battery)
    for start in sorted(set(planned) | set(measured)):
        kw = measured.get(start, planned.get(start, 0.0))
        lo = max(start, session.plugged_in_at)
        hi = min(start + step, now)
        hours = max(0.0, (hi - lo).total_seconds() / 3600)
        if kw >= 0:
            soc += kw * hours * SESSION_CHARGE_EFFICIENCY
        else:
            soc += kw * hours / SESSION_CHARGE_EFFICIENCY
        soc = min(battery, max(0.0, soc))
    return soc


@dataclass(frozen=True)
class SessionBoost:
    active: bool  # asked for and the target not reached yet
    charge_kwh: float  # the estimated charge now
    full_at: datetime | None  # when charging flat out from now reaches the target


def session_boost(*, session: ChargingSession, now: datetime | None = None) -> SessionBoost:
    now = now or timezone.now()
    charge = session_charge_estimate_kwh(session=session, now=now)
    missing = float(session.target_soc_kwh) - charge
    active = (
        session.status == SessionStatus.ACTIVE
        and session.boost_requested_at is not None
        and missing > 1e-3
    )
    kw = float(session.car.max_charge_kw)
    charger = Charger.objects.filter(bay_id=session.bay_id).only("ac_charge_kw").first()
    if charger is not None:
        kw = min(kw, float(charger.ac_charge_kw))
    full_at = None
    if active and kw > 0:
        full_at = now + timedelta(hours=missing / (kw * SESSION_CHARGE_EFFICIENCY))
    return SessionBoost(active=active, charge_kwh=charge, full_at=full_at)


@dataclass(frozen=True)
class FedBackHistory:
    total_kwh: Decimal
    sessions: list[ChargingSession]


def fed_back_history(*, user: User, limit: int = 10) -> FedBackHistory:
    ended = ChargingSession.objects.filter(car__owner=user, status=SessionStatus.ENDED)
    total = ended.aggregate(total=Sum("energy_fed_back_kwh"))["total"] or ZERO
    recent = list(ended.select_related("car", "bay__hub").order_by("-ended_at")[:limit])
    return FedBackHistory(total_kwh=total, sessions=recent)


@dataclass(frozen=True)
class FeedBackEstimate:
    kwh: float  # what may be fed back at most: above the floor, within the discharge power
    hours: float
    eur: Decimal  # what holding it available earns at the hub's flexibility prices
    priced: bool  # False when no flexibility prices are known for the window


def feed_back_estimate(
    *,
    hub: Hub,
    start: datetime,
    end: datetime,
    discharge_kw: Decimal,
    soc_kwh: Decimal,
    floor_kwh: Decimal,
) -> FeedBackEstimate:
    """An upper estimate of what feeding back earns while parked from ``start`` to ``end``.

    The hub is paid per kW it holds available for the grid in each slot (``FlexPriceSlot``);
    the car adds at most its discharge power, and only while charge above the floor lasts.
    """
    if end <= start or discharge_kw <= 0:
        return FeedBackEstimate(kwh=0.0, hours=0.0, eur=ZERO, priced=False)
    hours = (end - start).total_seconds() / 3600
    room = max(soc_kwh - floor_kwh, ZERO)
    kwh = float(min(room, discharge_kw * Decimal(repr(hours))))
    area = getattr(getattr(hub, "site", None), "price_area", "NL")
    prices = list(
        FlexPriceSlot.objects.filter(area=area, start__gte=start - SLOT, start__lt=end)
        .order_by("start")
        .values_list("up_eur_per_kw", flat=True)
    )
    if not prices or room <= 0:
        return FeedBackEstimate(kwh=kwh, hours=hours, eur=ZERO, priced=bool(prices))
    eur = sum((discharge_kw * p for p in prices), ZERO)
    return FeedBackEstimate(kwh=kwh, hours=hours, eur=eur.quantize(Decimal("0.01")), priced=True)


def _per_slot(value: Any, n: int) -> list[float]:
    """A scenario's grid limit (rule 7: one number, or one per slot) as n values."""
    if isinstance(value, list):
        return [float(x) for x in value[:n]] + [0.0] * max(0, n - len(value))
    return [float(value)] * n


def _first(value: Any) -> float:
    """The limit in force in the plan's first slot (the dashboard's single figure)."""
    if isinstance(value, list):
        return float(value[0]) if value else 0.0
    return float(value)


@dataclass(frozen=True)
class SessionLive:
    """A plugged-in car now, from the hub's current plan: power this quarter hour, charge now,
    the charge expected at departure, and the floor it is never fed back below."""

    power_kw: float | None
    soc_kwh: float | None
    soc_percent: int | None
    departure_kwh: float | None
    departure_percent: int | None
    floor_kwh: float
    floor_percent: int


def session_live(
    *, session: ChargingSession, plan: list[SessionPlanPoint], now: datetime | None = None
) -> SessionLive:
    now = now or timezone.now()
    battery = float(session.car.battery_kwh) or 1.0
    floor = float(max(session.feed_back_floor_kwh, session.car.floor_kwh))

    def percent(kwh: float | None) -> int | None:
        return None if kwh is None else round(100 * kwh / battery)

    current = next((p for p in plan if p.start <= now < p.start + timedelta(minutes=15)), None)
    before_departure = [p for p in plan if p.start < session.departure_at]
    last = before_departure[-1] if before_departure else None
    # A slot's charge is at its start; the departure charge adds the last slot's quarter hour.
    departure = None if last is None else min(battery, last.soc_kwh + last.power_kw / 4)
    return SessionLive(
        power_kw=None if current is None else current.power_kw,
        soc_kwh=None if current is None else current.soc_kwh,
        soc_percent=percent(None if current is None else current.soc_kwh),
        departure_kwh=departure,
        departure_percent=percent(departure),
        floor_kwh=floor,
        floor_percent=round(100 * floor / battery),
    )
