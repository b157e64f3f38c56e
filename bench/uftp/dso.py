"""The grid operator of the UFTP benchmark: ``shapeshifter-uftp``'s own DSO service (it receives
what the hub sends: D-Prognoses, FlexRequestResponses, FlexOffers, FlexOrderResponses) and its
DSO->AGR client (FlexRequests, FlexOffer responses, FlexOrders), signing with a key of its own.

Every message received is put on ``inbox`` with the monotonic time it arrived at, so the driver
can time FlexRequest -> FlexOffer. Like a real DSO it answers each D-Prognosis with a
D-PrognosisResponse (UFTP 3.1 § 5.2.2): *Accepted*, or *Rejected* when the prognosis does not
hold one ISP of duration 1 for each ISP of its day (92, 96 or 100), or its revision is not
above the last one it accepted for that congestion point and day; what it answered goes on
the inbox too (``PrognosisAnswer``). Nothing else is decided here: ``bench.uftp.rounds`` does.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shapeshifter_uftp import (
    AcceptedRejected,
    DPrognosis,
    DPrognosisResponse,
    FlexOffer,
    FlexOfferResponse,
    FlexOrder,
    FlexOrderISP,
    FlexRequest,
    FlexRequestISP,
    ShapeshifterDsoAgrClient,
    ShapeshifterDsoService,
)
from shapeshifter_uftp.uftp.enums import AvailableRequested
from xsdata.models.datatype import XmlDate, XmlDuration

from energy.grid.selectors import day_isp_starts
from energy.grid.uftp_messages import PATH

DSO_DOMAIN = "dso.bench.example"
AGR_DOMAIN = "hub.bench.example"
REQUEST_VALID = timedelta(minutes=10)  # real clock: the DSO orders within seconds of an offer
MAX_REQUESTED_W = 50_000  # per ISP: more than a bench hub can offer, so the plan limits it

Arrival = tuple[float, Any]  # (time.monotonic() at arrival, the message)


@dataclass(frozen=True)
class PrognosisAnswer:
    """What the DSO answered a D-Prognosis, and whether the answer reached the hub."""

    prognosis: DPrognosis
    accepted: bool
    reason: str | None
    delivered: bool
    error: str = ""


def prognosis_fault(message: DPrognosis, last_revision: int | None) -> str | None:
    """Why a DSO would reject this D-Prognosis (None: it accepts it)."""
    day = message.period.to_date()
    expected = len(day_isp_starts(day, message.time_zone))
    starts = sorted(i.start for i in message.isps)
    if starts != list(range(1, expected + 1)) or any(i.duration != 1 for i in message.isps):
        return f"Invalid ISPs: {len(starts)} given, the day has {expected}"
    if last_revision is not None and message.revision <= last_revision:
        return f"Revision {message.revision} is not above {last_revision}"
    return None


class BenchDso(ShapeshifterDsoService):
    """A DSO that keeps every message the aggregator sends, with its arrival time, and
    answers each D-Prognosis."""

    def __init__(self, inbox: queue.Queue[Arrival], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inbox = inbox
        self.revisions: dict[tuple[str, str], int] = {}  # (point, day): last accepted revision
        self.lock = threading.Lock()  # the library processes messages on a thread pool

    def _keep(self, message: Any) -> None:
        self.inbox.put((time.monotonic(), message))

    def process_d_prognosis(self, message: DPrognosis) -> None:
        self._keep(message)
        key = (message.congestion_point, str(message.period))
        with self.lock:
            reason = prognosis_fault(message, self.revisions.get(key))
            if reason is None:
                self.revisions[key] = message.revision
        response = DPrognosisResponse(
            conversation_id=message.conversation_id,
            d_prognosis_message_id=message.message_id or "",
            result=AcceptedRejected.ACCEPTED if reason is None else AcceptedRejected.REJECTED,
            rejection_reason=reason,
        )
        try:
            self.agr_client(message.sender_domain).send_d_prognosis_response(response)
        except Exception as exc:
            self._keep(PrognosisAnswer(message, reason is None, reason, False, str(exc)[:200]))
            return
        self._keep(PrognosisAnswer(message, reason is None, reason, True))

    process_flex_request_response = _keep
    process_flex_offer = _keep
    process_flex_order_response = _keep
    process_flex_offer_revocation = _keep
    process_flex_reservation_update_response = _keep
    process_flex_settlement_response = _keep
    process_dso_portfolio_query_response = _keep
    process_dso_portfolio_update_response = _keep
    process_metering = _keep
    process_test_message_response = _keep


def dso_service(
    inbox: queue.Queue[Arrival], *, private_key: str, agr_public: str, port: int, agr_port: int
) -> BenchDso:
    return BenchDso(
        inbox,
        sender_domain=DSO_DOMAIN,
        signing_key=private_key,
        key_lookup_function=lambda domain, role: agr_public if domain == AGR_DOMAIN else None,
        endpoint_lookup_function=lambda domain, role: f"http://127.0.0.1:{agr_port}{PATH}",
        host="127.0.0.1",
        port=port,
    )


def agr_client(*, private_key: str, agr_public: str, agr_port: int) -> ShapeshifterDsoAgrClient:
    client = ShapeshifterDsoAgrClient(
        sender_domain=DSO_DOMAIN,
        signing_key=private_key,
        recipient_domain=AGR_DOMAIN,
        recipient_endpoint=f"http://127.0.0.1:{agr_port}{PATH}",
        recipient_signing_key=agr_public,
    )
    client.request_timeout = 10
    return client


def flex_request(
    *, point: str, time_zone: str, period: XmlDate, isps: list[int], now: datetime
) -> FlexRequest:
    """Less import wanted (UFTP: negative power) in each of ``isps`` of ``period``."""
    return FlexRequest(
        message_id=str(uuid.uuid4()),
        isp_duration=XmlDuration("PT15M"),
        time_zone=time_zone,
        period=period,
        congestion_point=point,
        revision=1,
        expiration_date_time=(now + REQUEST_VALID).astimezone(UTC).isoformat(),
        isps=[
            FlexRequestISP(
                disposition=AvailableRequested.REQUESTED,
                min_power=-MAX_REQUESTED_W,
                max_power=-1,
                start=isp,
            )
            for isp in isps
        ],
    )


def order_of(offer: FlexOffer, *, reference: str, message_id: str | None = None) -> FlexOrder:
    """All of the offer's first option, at its price."""
    option = offer.offer_options[0]
    return FlexOrder(
        message_id=message_id or str(uuid.uuid4()),
        isp_duration=XmlDuration("PT15M"),
        time_zone=offer.time_zone,
        period=offer.period,
        congestion_point=offer.congestion_point,
        flex_offer_message_id=offer.message_id,
        option_reference=option.option_reference,
        price=option.price,
        currency="EUR",
        order_reference=reference,
        isps=[FlexOrderISP(power=i.power, start=i.start, duration=i.duration) for i in option.isps],
    )


def offer_response(offer: FlexOffer, *, ordering: bool) -> FlexOfferResponse:
    """Accepted for an offer the DSO orders; Rejected turns the others down, which releases the
    flexibility they hold for the next requests (``energy.grid.services.offer_response_record``)."""
    return FlexOfferResponse(
        conversation_id=offer.conversation_id,
        flex_offer_message_id=offer.message_id,
        result=AcceptedRejected.ACCEPTED if ordering else AcceptedRejected.REJECTED,
        rejection_reason=None if ordering else "Not needed",
    )
