"""Residents' own cars: their charging sessions, the plan for each, boosts and feeding back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import F, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from energy.models import (
    ZERO,
    Charger,
    ChargerIspPower,
    ChargingSession,
    DispatchRun,
    FlexPriceSlot,
    PlanSlot,
    PrivateCar,
    RunStatus,
    SessionStatus,
)
from energy.selectors.plans import QUARTER_HOURS, SLOT
from sharing.models import Bay, Hub


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


# The battery model of the scenarios (energy.problem): a kWh drawn stores 0.92 kWh.
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
