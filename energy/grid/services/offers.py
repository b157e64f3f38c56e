"""FlexRequest -> FlexOffer: offers (one per direction) from the current plan's free
flexibility for the ISPs a buyer asks for, priced at the hub's capacity prices, never more than
the plan holds; and an operator turning an offer down.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from energy.grid import keys
from energy.grid.models import (
    Aggregator,
    FlexDirection,
    GridOffer,
    GridOfferSlot,
    GridOfferStatus,
    GridOperator,
)
from energy.grid.selectors import (
    ISP,
    Buyer,
    baseline_day,
    congestion_point,
    flex_free,
    flex_prices,
    latest_prognosis,
)
from energy.grid.services.common import EUR4, Rejected, as_uuid
from energy.models import Site
from sharing.models import Hub


@dataclass(frozen=True)
class RequestedIsp:
    """A requested deviation band of ISP ``isp`` (UFTP sign: negative is less import)."""

    isp: int
    min_w: int
    max_w: int
    requested: bool = True


def _check_day(hub: Hub, period: date, now: datetime) -> list[datetime]:
    from energy.grid.selectors import day_isp_starts

    starts = day_isp_starts(period, hub.time_zone)
    if starts[-1] + ISP <= now:
        raise Rejected("Period Out Of Bounds")
    return starts


def flex_offers_make(
    *,
    hub: Hub,
    buyer: Buyer,
    period: date,
    isps: Sequence[RequestedIsp],
    request_message_id: str | None = None,
    conversation_id: str | None = None,
    request_expires_at: datetime | None = None,
    now: datetime | None = None,
) -> list[GridOffer]:
    """Offers (one per direction) for the requested ISPs, from the current plan's free
    flexibility, priced at the hub's capacity prices; none if the plan holds none there.

    Never more than the plan holds: the hub row is locked while the free flexibility is
    counted and the offer written, so two requests cannot both be offered the same kW.
    """
    now = now or timezone.now()
    starts = _check_day(hub, period, now)
    seen: set[int] = set()
    for r in isps:
        if not 1 <= r.isp <= len(starts):
            raise Rejected("ISPs Out Of Bounds")
        if r.isp in seen:
            raise Rejected("ISP Conflict")
        if r.min_w > r.max_w:
            raise Rejected("Invalid Message: MinPower above MaxPower")
        seen.add(r.isp)
    if request_expires_at is not None and request_expires_at <= now:
        raise Rejected("Expiration DateTime Out Of Bounds")
    site = Site.objects.get(hub=hub)
    with transaction.atomic():
        Hub.objects.select_for_update().filter(pk=hub.pk).first()
        baseline = baseline_day(hub=hub, period=period)
        up_free, down_free = flex_free(hub=hub, baseline=baseline, now=now)
        prices = flex_prices(site=site, starts=starts)
        wanted: dict[str, list[tuple[int, int]]] = {FlexDirection.UP: [], FlexDirection.DOWN: []}
        for r in sorted(isps, key=lambda x: x.isp):
            i = r.isp - 1
            if not r.requested or starts[i] < now or baseline.power_w[i] is None:
                continue
            if r.max_w <= 0 and r.min_w < 0:  # less import wanted
                power = -min(up_free[i], -r.min_w)
                if power:
                    wanted[FlexDirection.UP].append((r.isp, power))
            elif r.min_w >= 0 and r.max_w > 0:  # more import wanted
                power = min(down_free[i], r.max_w)
                if power:
                    wanted[FlexDirection.DOWN].append((r.isp, power))
        offers: list[GridOffer] = []
        for direction, chosen in wanted.items():
            if not chosen:
                continue
            first = starts[chosen[0][0] - 1]
            expires = now + timedelta(seconds=keys.offer_valid_seconds())
            expires = min(expires, first, *([request_expires_at] if request_expires_at else []))
            if expires <= now:
                continue
            price = Decimal(0)
            for isp, power in chosen:
                up_price, down_price = prices.get(starts[isp - 1], (0.0, 0.0))
                per_kw = up_price if direction == FlexDirection.UP else down_price
                price += Decimal(repr(abs(power) / 1000 * per_kw))
            offer = GridOffer.objects.create(
                hub=hub,
                operator=buyer if isinstance(buyer, GridOperator) else None,
                aggregator=buyer if isinstance(buyer, Aggregator) else None,
                message_id=uuid.uuid4(),
                conversation_id=as_uuid(conversation_id) or uuid.uuid4(),
                flex_request_message_id=as_uuid(request_message_id),
                d_prognosis=(
                    latest_prognosis(hub=hub, operator=buyer, period=period)
                    if isinstance(buyer, GridOperator)
                    else None
                ),
                run=baseline.run,
                period=period,
                congestion_point=congestion_point(site),
                direction=direction,
                option_reference=f"{direction}-1",
                price_eur=price.quantize(EUR4),
                expires_at=expires,
            )
            GridOfferSlot.objects.bulk_create(
                [
                    GridOfferSlot(
                        offer=offer,
                        isp=isp,
                        start=starts[isp - 1],
                        power_w=power,
                        baseline_w=int(baseline.power_w[isp - 1] or 0),
                        fleet_w=baseline.fleet_w[isp - 1],
                    )
                    for isp, power in chosen
                ]
            )
            offers.append(offer)
    return offers


def offer_response_record(*, operator: GridOperator, message_id: str, accepted: bool) -> int:
    """The operator turned an offer down: it stops holding flexibility."""
    key = as_uuid(message_id)
    if accepted or key is None:
        return 0
    return GridOffer.objects.filter(
        operator=operator, message_id=key, status=GridOfferStatus.OPEN
    ).update(status=GridOfferStatus.REJECTED)
