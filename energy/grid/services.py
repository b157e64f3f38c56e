"""Writes of the grid side: D-Prognoses sent, offers made, orders accepted (exactly once).

The same rules serve the UFTP service (``energy.grid.uftp``) and the aggregator API
(``energy.grid.api``): a refused request or order raises ``Rejected`` with the UFTP rejection
reason, before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from energy.grid import keys
from energy.grid.models import (
    Aggregator,
    ChargerIspPower,
    DPrognosis,
    FlexDirection,
    GridOffer,
    GridOfferSlot,
    GridOfferStatus,
    GridOperator,
    GridOrder,
    GridOrderSlot,
    PrognosisStatus,
    token_digest,
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
from energy.models import Site
from energy.services.replan import replan_request
from sharing.models import Hub

logger = logging.getLogger(__name__)
EUR4 = Decimal("0.0001")


class Rejected(Exception):
    """A request or order refused; ``reason`` is the UFTP RejectionReason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- Counterparties ----------------------------------------------------------------------


def aggregator_token_issue(*, aggregator: Aggregator) -> str:
    """A new API token for ``aggregator`` (the old one stops working). Shown once: only its
    digest is stored."""
    token = secrets.token_urlsafe(32)
    aggregator.token_digest = token_digest(token)
    aggregator.token_prefix = token[:8]
    aggregator.save(update_fields=["token_digest", "token_prefix"])
    return token


def operator_message_record(*, operator: GridOperator, text: str) -> None:
    GridOperator.objects.filter(pk=operator.pk).update(
        last_message_at=timezone.now(), last_message=text[:200]
    )


def hub_of_congestion_point(*, operator: GridOperator, point: str) -> Hub:
    if not point.startswith("ean."):
        raise Rejected("Invalid Congestion Point")
    site = (
        Site.objects.select_related("hub")
        .filter(ean=point.removeprefix("ean."), grid_operator=operator)
        .first()
    )
    if site is None:
        raise Rejected("Invalid Congestion Point")
    return site.hub


# --- D-Prognosis -------------------------------------------------------------------------


@dataclass(frozen=True)
class PrognosisDraft:
    record: DPrognosis
    congestion_point: str
    time_zone: str


def prognoses_prepare(
    *, hub: Hub, now: datetime | None = None
) -> tuple[list[PrognosisDraft], float]:
    """New D-Prognosis revisions of ``hub``'s connection for today and tomorrow where the
    current plan changed them, recorded as ``sending``; and the seconds to wait before
    asking again when the operator's rate limit holds them back (0: nothing held back).

    ISPs before the plan's first slot (already in operation) repeat the last revision's value
    (0 in a first revision): UFTP receivers ignore ISPs that have begun. A day the plan does
    not reach to its end is not sent.
    """
    now = now or timezone.now()
    site = Site.objects.select_related("grid_operator").filter(hub=hub).first()
    if site is None or site.grid_operator is None or not site.grid_operator.active:
        return [], 0.0
    operator = site.grid_operator
    last_sent = (
        DPrognosis.objects.filter(hub=hub, operator=operator)
        .exclude(status=PrognosisStatus.FAILED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    today = timezone.localtime(now, timezone=_zone(hub)).date()
    drafts: list[PrognosisDraft] = []
    for period in (today, today + timedelta(days=1)):
        baseline = baseline_day(hub=hub, period=period)
        if baseline.run is None or baseline.power_w[-1] is None:
            continue
        previous = latest_prognosis(hub=hub, operator=operator, period=period)
        before = previous.isp_power_w if previous else [0] * len(baseline.starts)
        powers = [p if p is not None else int(before[i]) for i, p in enumerate(baseline.power_w)]
        if previous is not None and all(
            powers[i] == int(previous.isp_power_w[i])
            for i, start in enumerate(baseline.starts)
            if start + ISP > now
        ):
            continue
        if last_sent is not None:
            wait = operator.min_prognosis_interval_seconds - (now - last_sent).total_seconds()
            if wait > 0:
                return drafts, wait
        try:
            with transaction.atomic():
                record = DPrognosis.objects.create(
                    hub=hub,
                    operator=operator,
                    period=period,
                    revision=(previous.revision if previous else 0) + 1,
                    message_id=uuid.uuid4(),
                    run=baseline.run,
                    day_start=baseline.starts[0],
                    isp_power_w=powers,
                )
        except IntegrityError:  # a concurrent run took this revision: it sends the day
            continue
        drafts.append(PrognosisDraft(record, congestion_point(site), hub.time_zone))
    return drafts, 0.0


def prognosis_sent(*, record: DPrognosis, delivered: bool, error: str = "") -> None:
    """After the HTTP post: the operator's response may already have arrived, so only a
    record still ``sending`` changes."""
    status = PrognosisStatus.SENT if delivered else PrognosisStatus.FAILED
    DPrognosis.objects.filter(pk=record.pk, status=PrognosisStatus.SENDING).update(
        status=status, rejection_reason=error[:200]
    )


def prognosis_response_record(
    *, operator: GridOperator, message_id: str, accepted: bool, reason: str | None
) -> int:
    key = _uuid(message_id)
    if key is None:
        return 0
    return DPrognosis.objects.filter(operator=operator, message_id=key).update(
        status=PrognosisStatus.ACCEPTED if accepted else PrognosisStatus.REJECTED,
        rejection_reason=(reason or "")[:200],
    )


def _zone(hub: Hub) -> ZoneInfo:
    return ZoneInfo(hub.time_zone)


def _uuid(value: str | uuid.UUID | None) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# --- FlexRequest -> FlexOffer ------------------------------------------------------------


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
                conversation_id=_uuid(conversation_id) or uuid.uuid4(),
                flex_request_message_id=_uuid(request_message_id),
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
    key = _uuid(message_id)
    if accepted or key is None:
        return 0
    return GridOffer.objects.filter(
        operator=operator, message_id=key, status=GridOfferStatus.OPEN
    ).update(status=GridOfferStatus.REJECTED)


# --- FlexOrder ---------------------------------------------------------------------------


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
    order_id = _uuid(message_id)
    offer_id = _uuid(offer_message_id)
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


# --- Metering ----------------------------------------------------------------------------


def charger_power_record(*, charger_id: int, hub_id: int, power_kw: float, at: datetime) -> None:
    """Add one meter value to its ISP's sum (one row per charger and ISP, so a day is bounded
    however often a charger reports)."""
    start = at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)
    rows = ChargerIspPower.objects.filter(charger_id=charger_id, start=start)
    if rows.update(power_sum_kw=F("power_sum_kw") + power_kw, samples=F("samples") + 1):
        return
    try:
        with transaction.atomic():
            ChargerIspPower.objects.create(
                charger_id=charger_id, hub_id=hub_id, start=start, power_sum_kw=power_kw, samples=1
            )
    except IntegrityError:  # a concurrent first reading of the same ISP
        rows.update(power_sum_kw=F("power_sum_kw") + power_kw, samples=F("samples") + 1)
