"""What a resident's own car earned by feeding back: per ended session, and this month.

The rule (README, *What feeding back earns*): every quarter hour of a session, the energy the
car fed back is what the bay's charger metered in that quarter hour (``ChargerIspPower``, the
mean of its meter values, negative when feeding back) or, without meter values, what the plan
of that quarter hour sent it (the newest succeeded run beginning there, as
``session_executed_fed_back_kwh``). Each kWh earns

    max(day-ahead price of the quarter hour, 0) x the site's export price factor
    + the site's battery wear allowance (``Site.degradation_eur_per_kwh``, EUR 0.04 by default)

that is: what the hub is paid for exporting it (never a cost to the owner, also when prices go
below zero), plus the wear the plan charges itself for every kWh discharged, passed on to the
owner whose battery wore. A quarter hour without a day-ahead price earns the wear allowance
only. Flexibility payments stay with the hub: the grid operator pays for the connection as a
whole (``energy.grid.settlement``), not per car. Money is ``Decimal``; a session's total is
rounded to the cent once, half up, when the session ends (``charging_session_end`` stores it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Sum
from django.utils import timezone

from accounts.models import User
from energy.models import (
    ZERO,
    Charger,
    ChargerIspPower,
    ChargingSession,
    PlanSlot,
    PriceSlot,
    RunStatus,
    SessionStatus,
    Site,
)

QUARTER = Decimal("0.25")  # h
KWH = Decimal("0.001")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class FedBackSlot:
    start: datetime
    kwh: Decimal
    eur_per_kwh: Decimal
    metered: bool

    @property
    def eur(self) -> Decimal:
        return self.kwh * self.eur_per_kwh


@dataclass(frozen=True)
class FeedBackEarning:
    kwh: Decimal
    eur: Decimal  # rounded to the cent
    slots: list[FedBackSlot]


def feed_back_rate(*, site: Site | None, day_ahead_eur_per_kwh: Decimal | None) -> Decimal:
    """EUR one fed-back kWh earns the owner in a quarter hour (the rule above)."""
    if site is None:
        return max(day_ahead_eur_per_kwh or ZERO, ZERO)
    export = max(day_ahead_eur_per_kwh or ZERO, ZERO) * site.export_price_factor
    return export + site.degradation_eur_per_kwh


def _quarter(moment: datetime) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    return moment - timedelta(minutes=moment.minute % 15)


def session_fed_back_slots(
    *, session: ChargingSession, until: datetime | None = None
) -> list[FedBackSlot]:
    """The quarter hours in which the session's car fed back, with their energy and rate."""
    until = until or session.ended_at or timezone.now()
    power: dict[datetime, tuple[Decimal, bool]] = {}
    for start, kw in (
        PlanSlot.objects.filter(
            session=session,
            start=F("run__horizon_start"),
            run__status=RunStatus.SUCCEEDED,
            start__lt=until,
        )
        .order_by("start", "-run__created_at")
        .values_list("start", "power_kw")
    ):
        power.setdefault(start, (kw, False))
    charger = Charger.objects.filter(bay_id=session.bay_id).only("pk").first()
    if charger is not None:
        for row in ChargerIspPower.objects.filter(
            charger=charger,
            start__gte=_quarter(session.plugged_in_at),
            start__lt=until,
            samples__gt=0,
        ):
            power[row.start] = (Decimal(repr(round(row.mean_kw, 3))), True)
    fed = {start: (-kw * QUARTER, metered) for start, (kw, metered) in power.items() if kw < 0}
    if not fed:
        return []
    site = Site.objects.filter(hub__bays=session.bay_id).first()
    prices = dict(
        PriceSlot.objects.filter(
            area=site.price_area if site else "NL", start__in=list(fed)
        ).values_list("start", "day_ahead_eur_per_kwh")
    )
    return [
        FedBackSlot(
            start=start,
            kwh=kwh.quantize(KWH),
            eur_per_kwh=feed_back_rate(site=site, day_ahead_eur_per_kwh=prices.get(start)),
            metered=metered,
        )
        for start, (kwh, metered) in sorted(fed.items())
    ]


def session_feed_back_earning(
    *, session: ChargingSession, until: datetime | None = None
) -> FeedBackEarning:
    """What the session fed back and earned up to ``until`` (its end, or now)."""
    slots = session_fed_back_slots(session=session, until=until)
    kwh = sum((s.kwh for s in slots), ZERO)
    eur = sum((s.eur for s in slots), ZERO).quantize(CENT, ROUND_HALF_UP)
    return FeedBackEarning(kwh=kwh, eur=eur, slots=slots)


@dataclass(frozen=True)
class FeedBackEarnings:
    """The my-car page's figures: this month's ended sessions and the last one."""

    month_start: datetime
    month_kwh: Decimal
    month_eur: Decimal
    month_sessions: int
    last: ChargingSession | None
    unpriced: bool  # a session of this month ended before earnings were kept (no EUR stored)


def feed_back_earnings(*, user: User, now: datetime | None = None) -> FeedBackEarnings:
    """The resident's own cars only; the month is the local calendar month of ``now``."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    ended = ChargingSession.objects.filter(car__owner=user, status=SessionStatus.ENDED)
    month = ended.filter(ended_at__gte=month_start, ended_at__lte=now)
    totals = month.aggregate(kwh=Sum("energy_fed_back_kwh"), eur=Sum("fed_back_eur"))
    last = ended.select_related("car").order_by("-ended_at", "-pk").first()
    return FeedBackEarnings(
        month_start=month_start,
        month_kwh=totals["kwh"] or ZERO,
        month_eur=totals["eur"] or ZERO,
        month_sessions=month.count(),
        last=last,
        unpriced=month.filter(fed_back_eur__isnull=True, energy_fed_back_kwh__gt=0).exists(),
    )
