"""Our records as ``shapeshifter-uftp`` messages and back: the FlexOffer of an offer, the
D-Prognosis of a draft, a FlexSettlement's order settlements as the services' claims and the
FlexSettlementResponse of their verdicts, and the checks every flex message gets first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from shapeshifter_uftp import (
    AcceptedRejected,
    DPrognosis,
    DPrognosisISP,
    FlexOffer,
    FlexOfferOption,
    FlexOfferOptionISP,
    FlexOrder,
    FlexOrderSettlement,
    FlexOrderSettlementStatus,
    FlexRequest,
    FlexSettlement,
    FlexSettlementResponse,
)
from shapeshifter_uftp.uftp.enums import AcceptedDisputed
from xsdata.models.datatype import XmlDate, XmlDuration

from energy.grid.models import GridOffer
from energy.grid.services import (
    OrderClaim,
    PrognosisDraft,
    Rejected,
    SettledIsp,
    SettlementAnswer,
)
from energy.grid.services.dso_settlement import Verdict

PATH = "/shapeshifter/api/v3/message"
ISP_DURATION = "PT15M"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def check_flex_message(message: FlexRequest | FlexOrder, time_zone: str) -> None:
    if str(message.isp_duration) != ISP_DURATION:
        raise Rejected("ISP Duration Rejected")
    if message.time_zone != time_zone:
        raise Rejected("TimeZone Rejected")


def claim_of(item: FlexOrderSettlement) -> OrderClaim:
    return OrderClaim(
        order_reference=item.order_reference,
        period=item.period.to_date(),
        congestion_point=item.congestion_point,
        price_eur=Decimal(item.price),
        penalty_eur=Decimal(item.penalty),
        net_eur=Decimal(item.net_settlement),
        isps=[
            SettledIsp(
                isp=i.start + k,
                baseline_w=i.baseline_power,
                ordered_w=i.ordered_flex_power,
                actual_w=i.actual_power,
                delivered_w=i.delivered_flex_power,
                deficiency_w=i.power_deficiency,
            )
            for i in item.isps
            for k in range(max(1, i.duration or 1))
        ],
    )


def offer_message(offer: GridOffer, time_zone: str) -> FlexOffer:
    return FlexOffer(
        message_id=str(offer.message_id),
        conversation_id=str(offer.conversation_id),
        isp_duration=XmlDuration(ISP_DURATION),
        time_zone=time_zone,
        period=XmlDate.from_date(offer.period),
        congestion_point=offer.congestion_point,
        expiration_date_time=iso(offer.expires_at),
        flex_request_message_id=(
            str(offer.flex_request_message_id) if offer.flex_request_message_id else None
        ),
        unsolicited=None if offer.flex_request_message_id else True,
        d_prognosis_message_id=str(offer.d_prognosis.message_id) if offer.d_prognosis else None,
        currency="EUR",
        offer_options=[
            FlexOfferOption(
                option_reference=offer.option_reference,
                price=offer.price_eur,
                isps=[
                    FlexOfferOptionISP(power=s.power_w, start=s.isp, duration=1)
                    for s in offer.slots.all()
                ],
            )
        ],
    )


def prognosis_message(draft: PrognosisDraft) -> DPrognosis:
    record = draft.record
    return DPrognosis(
        message_id=str(record.message_id),
        isp_duration=XmlDuration(ISP_DURATION),
        time_zone=draft.time_zone,
        period=XmlDate.from_date(record.period),
        congestion_point=draft.congestion_point,
        revision=record.revision,
        isps=[
            DPrognosisISP(power=int(power), start=i + 1, duration=1)
            for i, power in enumerate(record.isp_power_w)
        ],
    )


def settlement_response(
    message: FlexSettlement, answer: SettlementAnswer
) -> FlexSettlementResponse:
    """The verdicts as the response (the schema wants at least one status, even when the
    message is rejected: then each order is disputed with the reason it was not checked)."""
    verdicts = answer.verdicts or [Verdict(None, False, answer.reason or "not checked")]
    return FlexSettlementResponse(
        conversation_id=message.conversation_id,
        flex_settlement_message_id=message.message_id or "",
        result=AcceptedRejected.REJECTED if answer.reason else AcceptedRejected.ACCEPTED,
        rejection_reason=answer.reason,
        flex_order_settlement_statuses=[
            FlexOrderSettlementStatus(
                order_reference=v.order_reference,
                disposition=AcceptedDisputed.ACCEPTED if v.accepted else AcceptedDisputed.DISPUTED,
                dispute_reason=None if v.accepted else v.reason,
            )
            for v in verdicts
        ],
    )
