"""Settlement of accepted flexibility orders: what was delivered, per ISP, and what it earned.

Delivered deviation is measured against the D-Prognosis the offer was made on (the slot's
``baseline_w``), per ISP from the best meter there is: the site meter where it reported, the
chargers' meter values against the chargers' part of the D-Prognosis (``fleet_w``) otherwise
(``energy.grid.measured.measured_net``, which the admin's day chart and the residents'
dashboard read too).

Either way ``delivered_w = measured_w - baseline_w``, and each ISP says which source it used
(``source``: ``site_meter``, ``chargers``, or empty without a single meter value).

An ISP counts what was delivered in the ordered direction, up to the ordered amount; the
order earns its price times the share of its ordered watts delivered. ISPs without a single
meter value count as not delivered; ISPs not over yet are reported but not settled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.utils import timezone

from energy.grid.measured import ISP, PlannedIsp, measured_net
from energy.grid.models import GridOrder
from sharing.models import Hub

EUR2 = Decimal("0.01")
EUR4 = Decimal("0.0001")


@dataclass(frozen=True)
class IspDelivery:
    isp: int
    start: datetime
    baseline_w: int
    ordered_w: int
    measured_w: int | None  # the connection's net power as measured (None: no meter value)
    delivered_w: int | None  # measured less baseline: the deviation delivered
    counted_w: int  # delivered in the ordered direction, at most the ordered amount
    deficiency_w: int  # ordered less counted
    settled: bool  # the ISP is over
    source: str = ""  # SITE_METER, CHARGERS, or "" (no meter value)


@dataclass
class OrderDelivery:
    order: GridOrder
    isps: list[IspDelivery] = field(default_factory=list)

    @property
    def ordered_w(self) -> int:
        return sum(abs(i.ordered_w) for i in self.isps)

    @property
    def delivered_share(self) -> Decimal:
        if not self.ordered_w:
            return Decimal(0)
        return Decimal(sum(i.counted_w for i in self.isps if i.settled)) / Decimal(self.ordered_w)

    @property
    def income_eur(self) -> Decimal:
        return (self.order.price_eur * self.delivered_share).quantize(EUR4, ROUND_HALF_UP)


def order_delivery(order: GridOrder, *, now: datetime | None = None) -> OrderDelivery:
    now = now or timezone.now()
    slots = list(order.slots.all())
    net = measured_net(
        hub_id=order.offer.hub_id,
        isps=[PlannedIsp(s.start, s.baseline_w, s.fleet_w) for s in slots],
    )
    result = OrderDelivery(order)
    for s in slots:
        measured, source = net[s.start].measured_w, net[s.start].source
        delivered = None if measured is None else measured - s.baseline_w
        towards = 0
        if delivered is not None:
            towards = max(0, -delivered) if s.power_w < 0 else max(0, delivered)
        counted = min(towards, abs(s.power_w))
        result.isps.append(
            IspDelivery(
                isp=s.isp,
                start=s.start,
                baseline_w=s.baseline_w,
                ordered_w=s.power_w,
                measured_w=measured,
                delivered_w=delivered,
                counted_w=counted,
                deficiency_w=abs(s.power_w) - counted,
                settled=s.start + ISP <= now,
                source=source,
            )
        )
    return result


def orders_of_month(hubs: QuerySet[Hub], first: date) -> QuerySet[GridOrder]:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (
        GridOrder.objects.filter(
            offer__hub__in=hubs, offer__period__gte=first, offer__period__lt=following
        )
        .select_related("offer__hub", "offer__operator", "offer__aggregator")
        .prefetch_related("slots")
        .order_by("offer__hub__slug", "offer__period", "accepted_at")
    )


def month_income(hubs: QuerySet[Hub], first: date) -> dict[int, Decimal]:
    """Income of each hub's orders of the month (by hub id)."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for order in orders_of_month(hubs, first):
        totals[order.offer.hub_id] += order_delivery(order).income_eur
    return totals


SETTLEMENT_COLUMNS = [
    "hub",
    "day",
    "order",
    "order_reference",
    "buyer",
    "isp",
    "start",
    "baseline_w",
    "ordered_w",
    "measured_w",
    "measured_by",
    "delivered_w",
    "deficiency_w",
    "settled",
    "order_price_eur",
    "order_income_eur",
]


def settlement_csv_rows(hubs: QuerySet[Hub], first: date) -> Iterator[list[str]]:
    """One row per ordered ISP; the order's price and income on each of its rows."""
    yield SETTLEMENT_COLUMNS
    for order in orders_of_month(hubs, first):
        delivery = order_delivery(order)
        buyer = order.offer.buyer
        for i in delivery.isps:
            yield [
                order.offer.hub.slug,
                str(order.offer.period),
                str(order.message_id),
                order.order_reference,
                str(buyer) if buyer else "",
                str(i.isp),
                i.start.isoformat(),
                str(i.baseline_w),
                str(i.ordered_w),
                "" if i.measured_w is None else str(i.measured_w),
                i.source,
                "" if i.delivered_w is None else str(i.delivered_w),
                str(i.deficiency_w),
                "yes" if i.settled else "no",
                str(order.price_eur),
                str(delivery.income_eur),
            ]
