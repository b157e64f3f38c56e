"""A grid operator's FlexSettlement, checked against the hub's own settlement of each order.

For each order the operator settles (UFTP ``FlexOrderSettlement``, found by its
OrderReference, Period and CongestionPoint among the orders that operator placed) the hub
compares the operator's figures with ``energy.grid.settlement.order_delivery``:

* the contract: the order's price, NetSettlement = Price - Penalty, the same ISPs with the
  baseline and ordered power of the order;
* the delivery: every ISP over, and the operator's power deficiency within
  ``UFTP_SETTLEMENT_TOLERANCE_W`` of the hub's (the meters differ a little);
* the money: the net settlement within a cent of the hub's income for the order.

All of it holding, the order is *accepted*; otherwise *disputed*, with the reasons, and the
fleet admins are mailed (``energy.grid.services.disputes``). A message
naming an order the hub does not know (or in another currency) is rejected as a whole, and
nothing is written. The verdicts are kept with the operator's figures, once per MessageID: the
same message again gets the same answer (a different one under a used MessageID is a
``Duplicate Identifier``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from energy.grid.models import (
    DsoOrderSettlement,
    DsoSettlement,
    GridOperator,
    GridOrder,
    SettlementVerdict,
)
from energy.grid.services.common import as_uuid
from energy.grid.services.disputes import dso_disputes_alert
from energy.grid.settlement import order_delivery

CENT = Decimal("0.01")
UNKNOWN = "Unknown Reference"


@dataclass(frozen=True)
class SettledIsp:
    """The operator's figures of one ISP (watts, UFTP sign)."""

    isp: int
    baseline_w: int
    ordered_w: int
    actual_w: int
    delivered_w: int
    deficiency_w: int


@dataclass(frozen=True)
class OrderClaim:
    """One ``FlexOrderSettlement`` of the message."""

    order_reference: str | None
    period: date
    congestion_point: str
    price_eur: Decimal
    penalty_eur: Decimal
    net_eur: Decimal
    isps: Sequence[SettledIsp]


@dataclass(frozen=True)
class Verdict:
    order_reference: str | None
    accepted: bool
    reason: str = ""


@dataclass
class SettlementAnswer:
    """What to answer: ``reason`` set means the message is rejected (nothing kept)."""

    verdicts: list[Verdict] = field(default_factory=list)
    reason: str | None = None
    created: bool = False


def _fingerprint(claims: Sequence[OrderClaim], period: tuple[date, date], currency: str) -> str:
    return hashlib.sha256(repr((period, currency, list(claims))).encode()).hexdigest()


def _order_of(operator: GridOperator, claim: OrderClaim) -> GridOrder | None:
    if not claim.order_reference:
        return None
    found = list(
        GridOrder.objects.filter(
            offer__operator=operator,
            order_reference=claim.order_reference,
            offer__period=claim.period,
            offer__congestion_point=claim.congestion_point,
        ).select_related("offer")[:2]
    )
    return found[0] if len(found) == 1 else None


def _compare(
    order: GridOrder, claim: OrderClaim, now: datetime
) -> tuple[list[str], list[Any], Decimal]:
    """The reasons to dispute (none: accept), the ISP table of both sides, the hub's income."""
    tolerance = settings.UFTP_SETTLEMENT_TOLERANCE_W
    delivery = order_delivery(order, now=now)
    ours = {i.isp: i for i in delivery.isps}
    theirs = {i.isp: i for i in claim.isps}
    reasons: list[str] = []
    if claim.price_eur != order.price_eur:
        reasons.append(f"price {claim.price_eur} is not the order's {order.price_eur}")
    if claim.net_eur != claim.price_eur - claim.penalty_eur:
        reasons.append("NetSettlement is not Price - Penalty")
    if missing := sorted(set(ours) - set(theirs)):
        reasons.append(f"ISPs {missing} of the order are not settled")
    if extra := sorted(set(theirs) - set(ours)):
        reasons.append(f"ISPs {extra} were not ordered")
    table: list[Any] = []
    for isp in sorted(set(ours) & set(theirs)):
        o, t = ours[isp], theirs[isp]
        if t.baseline_w != o.baseline_w:
            reasons.append(f"ISP {isp}: baseline {t.baseline_w} W, the order's {o.baseline_w} W")
        if t.ordered_w != o.ordered_w:
            reasons.append(f"ISP {isp}: ordered {t.ordered_w} W, the order's {o.ordered_w} W")
        if not o.settled:
            reasons.append(f"ISP {isp} is not over yet")
        elif abs(abs(t.deficiency_w) - o.deficiency_w) > tolerance:
            reasons.append(
                f"ISP {isp}: deficiency {abs(t.deficiency_w)} W, the hub measured "
                f"{o.deficiency_w} W"
            )
        table.append(
            {
                "isp": isp,
                "dso_baseline_w": t.baseline_w,
                "dso_ordered_w": t.ordered_w,
                "dso_actual_w": t.actual_w,
                "dso_delivered_w": t.delivered_w,
                "dso_deficiency_w": t.deficiency_w,
                "hub_measured_w": o.measured_w,
                "hub_delivered_w": o.delivered_w,
                "hub_deficiency_w": o.deficiency_w,
                "measured_by": o.source,
            }
        )
    income = delivery.income_eur
    if abs(claim.net_eur - income) > CENT:
        reasons.append(f"net settlement {claim.net_eur} EUR, the hub's own {income} EUR")
    return reasons, table, income


def _stored(record: DsoSettlement) -> SettlementAnswer:
    rows = record.orders.order_by("pk")
    accepted = SettlementVerdict.ACCEPTED
    return SettlementAnswer(
        [Verdict(r.order_reference, r.verdict == accepted, r.dispute_reason) for r in rows]
    )


def flex_settlement_check(
    *,
    operator: GridOperator,
    message_id: str,
    conversation_id: str | None,
    period_start: date,
    period_end: date,
    currency: str,
    claims: Sequence[OrderClaim],
    now: datetime | None = None,
) -> SettlementAnswer:
    """Check each claim against the hub's settlement and keep the verdicts (see the module)."""
    now = now or timezone.now()
    fingerprint = _fingerprint(claims, (period_start, period_end), currency)

    def rejected(reason: str, unknown: Collection[int] = ()) -> SettlementAnswer:
        return SettlementAnswer(
            [
                Verdict(c.order_reference, False, UNKNOWN if k in unknown else "not checked")
                for k, c in enumerate(claims)
            ],
            reason=reason,
        )

    message_uuid = as_uuid(message_id)
    if message_uuid is None:
        return rejected("Invalid Message: MessageID")
    previous = DsoSettlement.objects.filter(message_id=message_uuid).first()
    if previous is not None:
        if previous.operator_id != operator.pk or previous.fingerprint != fingerprint:
            return rejected("Duplicate Identifier")
        return _stored(previous)

    if currency != "EUR":
        return rejected("Invalid Message: Currency")
    if period_end < period_start:
        return rejected("Invalid Message: PeriodEnd before PeriodStart")
    orders = [_order_of(operator, c) for c in claims]
    if unknown := {k for k, o in enumerate(orders) if o is None}:
        return rejected(UNKNOWN, unknown)
    if len({o.pk for o in orders if o}) != len(orders):
        return rejected("Invalid Message: an order is settled twice")
    if any(not period_start <= c.period <= period_end for c in claims):
        return rejected("Invalid Message: an order's Period is outside the settlement period")

    answer = SettlementAnswer(created=True)
    try:
        with transaction.atomic():
            record = DsoSettlement.objects.create(
                operator=operator,
                message_id=message_uuid,
                conversation_id=as_uuid(conversation_id),
                period_start=period_start,
                period_end=period_end,
                currency=currency,
                fingerprint=fingerprint,
            )
            disputed: list[DsoOrderSettlement] = []
            for order, claim in zip(orders, claims, strict=True):
                assert order is not None
                reasons, table, income = _compare(order, claim, now)
                reason = "; ".join(reasons)[:500]
                row = DsoOrderSettlement.objects.create(
                    settlement=record,
                    order=order,
                    order_reference=claim.order_reference or "",
                    price_eur=claim.price_eur,
                    penalty_eur=claim.penalty_eur,
                    net_eur=claim.net_eur,
                    hub_income_eur=income,
                    isps=table,
                    verdict=SettlementVerdict.DISPUTED if reasons else SettlementVerdict.ACCEPTED,
                    dispute_reason=reason,
                )
                if reasons:
                    disputed.append(row)
                answer.verdicts.append(Verdict(claim.order_reference, not reasons, reason))
            dso_disputes_alert(record=record, disputed=disputed)
    except IntegrityError:  # the same message, processed concurrently: its answer stands
        previous = DsoSettlement.objects.filter(message_id=message_uuid).first()
        if previous is None or previous.fingerprint != fingerprint:
            return rejected("Duplicate Identifier")
        return _stored(previous)
    return answer
