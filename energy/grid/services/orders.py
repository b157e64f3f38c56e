"""FlexOrder: accepting an order on an open offer exactly once per message id (the same order
again is answered as before, a different one with that id refused), checking it against the
offer, writing the hub's grid band and queueing a re-plan on commit.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from energy.grid.models import (
    FlexDirection,
    GridOffer,
    GridOfferSlot,
    GridOfferStatus,
    GridOperator,
    GridOrder,
    GridOrderSlot,
)
from energy.grid.selectors import Buyer
from energy.grid.services.common import EUR4, Rejected, as_uuid
from energy.services.replan import replan_request


@dataclass(frozen=True)
class OrderedIsp:
    isp: int
    power_w: int
    duration: int = 1


def _fingerprint(
    offer_message_id: str, isps: Sequence[OrderedIsp], price: Decimal, option: str | None
) -> str:
    body = json.dumps(
        {
            "offer": str(offer_message_id).lower(),
            "isps": sorted((i.isp, i.power_w, i.duration) for i in isps),
            "price": str(Decimal(price).quantize(EUR4)),
            "option": option or "",
        }
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class OrderOutcome:
    order: GridOrder
    created: bool  # False: the same order again, answered and not applied twice


def flex_order_accept(
    *,
    buyer: Buyer,
    message_id: str,
    offer_message_id: str,
    isps: Sequence[OrderedIsp],
    price_eur: Decimal,
    source: str,
    period: date | None = None,
    congestion_point_id: str | None = None,
    option_reference: str | None = None,
    order_reference: str = "",
    now: datetime | None = None,
) -> OrderOutcome:
    """Accept an order on an open offer, exactly once per message id, or raise ``Rejected``.

    Accepted, the order's ISPs become the hub's grid band in every scenario that covers them
    (``energy.grid.selectors.grid_bands``) and a re-plan is queued on commit.
    """
    now = now or timezone.now()
    order_id = as_uuid(message_id)
    offer_id = as_uuid(offer_message_id)
    if order_id is None:
        raise Rejected("Invalid Message: MessageID")
    if offer_id is None:
        raise Rejected("Unknown Reference")
    fingerprint = _fingerprint(str(offer_id), isps, price_eur, option_reference)
    buyer_field = "operator" if isinstance(buyer, GridOperator) else "aggregator"
    try:
        with transaction.atomic():
            again = _already(order_id, fingerprint, buyer_field, buyer)
            if again is not None:
                return OrderOutcome(again, False)
            offer = (
                GridOffer.objects.select_for_update()
                .filter(message_id=offer_id, **{buyer_field: buyer})
                .first()
            )
            # A copy of this order sent at the same time may have committed while we waited.
            again = _already(order_id, fingerprint, buyer_field, buyer)
            if again is not None:
                return OrderOutcome(again, False)
            if offer is None:
                raise Rejected("Unknown Reference")
            slots = _order_slots(offer, isps, price_eur, period, congestion_point_id,
                                 option_reference, now)  # fmt: skip
            order = GridOrder.objects.create(
                offer=offer,
                message_id=order_id,
                source=source,
                order_reference=order_reference[:64],
                price_eur=Decimal(price_eur).quantize(EUR4),
                fingerprint=fingerprint,
                accepted_at=now,
            )
            GridOrderSlot.objects.bulk_create(
                [
                    GridOrderSlot(
                        order=order,
                        hub_id=offer.hub_id,
                        isp=s.isp,
                        start=s.start,
                        power_w=power,
                        baseline_w=s.baseline_w,
                        fleet_w=s.fleet_w,
                    )
                    for s, power in slots
                ]
            )
            offer.status = GridOfferStatus.ORDERED
            offer.save(update_fields=["status"])
            # queued on commit: the order's band is in the scenario the re-plan reads
            replan_request(hub_id=offer.hub_id, reason="flex order")
    except IntegrityError:
        # A concurrent copy of the same order won the race: answer as it was answered.
        again = _already(order_id, fingerprint, buyer_field, buyer)
        if again is not None:
            return OrderOutcome(again, False)
        raise Rejected("Offer already ordered") from None
    return OrderOutcome(order, True)


def _already(
    order_id: uuid.UUID, fingerprint: str, buyer_field: str, buyer: Buyer
) -> GridOrder | None:
    existing = GridOrder.objects.filter(message_id=order_id).select_related("offer").first()
    if existing is None:
        return None
    if (
        existing.fingerprint != fingerprint
        or getattr(existing.offer, f"{buyer_field}_id") != buyer.pk
    ):
        raise Rejected("Duplicate Identifier")
    return existing


def _order_slots(
    offer: GridOffer,
    isps: Sequence[OrderedIsp],
    price_eur: Decimal,
    period: date | None,
    point: str | None,
    option_reference: str | None,
    now: datetime,
) -> list[tuple[GridOfferSlot, int]]:
    if offer.status == GridOfferStatus.ORDERED:
        raise Rejected("Offer already ordered")
    if offer.status == GridOfferStatus.REJECTED:
        raise Rejected("Reference Message Revoked")
    if offer.is_expired(now):
        raise Rejected("Reference Message Expired")
    if period is not None and period != offer.period:
        raise Rejected("Reference Period Mismatch")
    if point is not None and point != offer.congestion_point:
        raise Rejected("Invalid Congestion Point")
    if option_reference and option_reference != offer.option_reference:
        raise Rejected("Unknown Reference")
    offered = {s.isp: s for s in offer.slots.all()}
    chosen: dict[int, int] = {}
    for item in isps:
        if item.duration < 1:
            raise Rejected("ISPs Out Of Bounds")
        for isp in range(item.isp, item.isp + item.duration):
            if isp in chosen:
                raise Rejected("ISP Conflict")
            slot = offered.get(isp)
            if slot is None or item.power_w == 0:
                raise Rejected("ISPs Out Of Bounds")
            same_way = (item.power_w < 0) == (slot.power_w < 0)
            if not same_way or abs(item.power_w) > abs(slot.power_w):
                raise Rejected("ISPs Out Of Bounds")
            chosen[isp] = item.power_w
    if not chosen:
        raise Rejected("ISPs Out Of Bounds")
    share = Decimal(sum(abs(p) for p in chosen.values())) / Decimal(
        sum(abs(s.power_w) for s in offered.values())
    )
    least = (offer.price_eur * share).quantize(EUR4, rounding=ROUND_DOWN)
    if Decimal(price_eur) < least:
        raise Rejected(f"Invalid Message: price below the offer ({least} EUR)")
    # The band of one direction in a slot ordered the other way would be empty (rule 7).
    opposite = GridOrderSlot.objects.filter(
        hub_id=offer.hub_id, start__in=[offered[i].start for i in chosen]
    ).values_list("power_w", flat=True)
    if any((p < 0) != (offer.direction == FlexDirection.UP) for p in opposite):
        raise Rejected("ISP Conflict")
    return [(offered[i], chosen[i]) for i in sorted(chosen)]
