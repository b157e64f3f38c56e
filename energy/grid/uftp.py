"""The UFTP aggregator service and client: ``shapeshifter-uftp`` on the wire, our services
behind it.

``HubAgrService`` is the library's own AGR service (FastAPI under uvicorn). The library checks
each message's signature against the key our lookup returns for its sender (a grid operator
configured in the admin; anyone else is refused with HTTP 401 before the message is read),
answers 200, and hands the message to the ``process_*`` method on a worker thread, which
replies over the operator's endpoint with the matching response message. A message that
breaks the XML schema or carries a bad signature is refused by the library (400 / 401) and
never reaches us.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import wraps
from typing import Any, TypeVar

from django.db import close_old_connections, connection
from fastapi import HTTPException
from shapeshifter_uftp import (
    AcceptedRejected,
    FlexOrder,
    FlexOrderResponse,
    FlexRequest,
    FlexRequestResponse,
    FlexReservationUpdate,
    FlexReservationUpdateResponse,
    FlexSettlement,
    ShapeshifterAgrDsoClient,
    ShapeshifterAgrService,
)
from shapeshifter_uftp.uftp.enums import AvailableRequested

from energy.grid import services
from energy.grid.keys import Identity
from energy.grid.models import GridOffer, GridOperator
from energy.grid.services import OrderedIsp, PrognosisDraft, Rejected, RequestedIsp
from energy.grid.uftp_messages import (
    PATH,
    check_flex_message,
    claim_of,
    offer_message,
    prognosis_message,
    settlement_response,
)

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def operator_by_domain(domain: str | None) -> GridOperator | None:
    return GridOperator.objects.filter(participant_domain=domain or "", active=True).first()


def _key_lookup(domain: str, role: str) -> str:
    """The sender's public key; an unknown sender (or one not a DSO) is a 401, not a 500."""
    try:
        operator = operator_by_domain(domain) if str(role) in {"DSO", "UsefRole.DSO"} else None
    finally:
        connection.close()  # called on the web server's threads
    if operator is None:
        raise HTTPException(status_code=401, detail="Unknown sender")
    return operator.public_key


def _endpoint_lookup(domain: str, role: str) -> str:
    try:
        operator = operator_by_domain(domain)
    finally:
        connection.close()
    if operator is None:
        raise LookupError(f"no grid operator {domain}")
    return operator.endpoint_url


def dso_client(operator: GridOperator, identity: Identity) -> ShapeshifterAgrDsoClient:
    client = ShapeshifterAgrDsoClient(
        sender_domain=identity.sender_domain,
        signing_key=identity.signing_key,
        recipient_domain=operator.participant_domain,
        recipient_endpoint=operator.endpoint_url,
        recipient_signing_key=operator.public_key,
    )
    client.request_timeout = 10
    return client


def _with_db(method: F) -> F:
    """Process methods run on the library's worker threads: fresh connections, closed after."""

    @wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        close_old_connections()
        try:
            return method(*args, **kwargs)
        finally:
            connection.close()

    return wrapper  # type: ignore[return-value]


def prognosis_send(draft: PrognosisDraft, identity: Identity) -> bool:
    """Post one prognosis; the operator's response arrives later on our service."""
    try:
        dso_client(draft.record.operator, identity).send_d_prognosis(prognosis_message(draft))
    except Exception as exc:  # transport: refused, unreachable, timed out
        logger.warning("D-Prognosis %s not delivered: %s", draft.record.message_id, exc)
        services.prognosis_sent(record=draft.record, delivered=False, error=str(exc))
        return False
    services.prognosis_sent(record=draft.record, delivered=True)
    return True


class HubAgrService(ShapeshifterAgrService):
    """The hub operator as aggregator of its hubs' connections."""

    def __init__(self, *, identity: Identity, host: str = "127.0.0.1", port: int = 8081) -> None:
        super().__init__(
            sender_domain=identity.sender_domain,
            signing_key=identity.signing_key,
            key_lookup_function=_key_lookup,
            endpoint_lookup_function=_endpoint_lookup,
            host=host,
            port=port,
            path=PATH,
        )
        self.identity = identity

    def _client(self, domain: str | None) -> ShapeshifterAgrDsoClient:
        operator = operator_by_domain(domain)
        if operator is None:
            raise LookupError(f"no grid operator {domain}")
        return dso_client(operator, self.identity)

    @_with_db
    def process_flex_request(self, message: FlexRequest) -> None:
        operator = operator_by_domain(message.sender_domain)
        if operator is None:
            return
        offers: list[GridOffer] = []
        time_zone = message.time_zone
        try:
            hub = services.hub_of_congestion_point(
                operator=operator, point=message.congestion_point
            )
            time_zone = hub.time_zone
            check_flex_message(message, hub.time_zone)
            offers = services.flex_offers_make(
                hub=hub,
                buyer=operator,
                period=message.period.to_date(),
                isps=[
                    RequestedIsp(
                        isp=isp.start + k,
                        min_w=isp.min_power,
                        max_w=isp.max_power,
                        requested=isp.disposition == AvailableRequested.REQUESTED,
                    )
                    for isp in message.isps
                    for k in range(max(1, isp.duration or 1))
                ],
                request_message_id=message.message_id,
                conversation_id=message.conversation_id,
                request_expires_at=datetime.fromisoformat(message.expiration_date_time),
            )
            result, reason = AcceptedRejected.ACCEPTED, None
        except Rejected as rejected:
            result, reason = AcceptedRejected.REJECTED, rejected.reason
        services.operator_message_record(
            operator=operator, text=f"FlexRequest {message.message_id}: {reason or 'accepted'}"
        )
        client = self._client(message.sender_domain)
        client.send_flex_request_response(
            FlexRequestResponse(
                conversation_id=message.conversation_id,
                flex_request_message_id=message.message_id,
                result=result,
                rejection_reason=reason,
            )
        )
        for offer in offers:
            client.send_flex_offer(offer_message(offer, time_zone))

    @_with_db
    def process_flex_order(self, message: FlexOrder) -> None:
        operator = operator_by_domain(message.sender_domain)
        if operator is None:
            return
        try:
            hub = services.hub_of_congestion_point(
                operator=operator, point=message.congestion_point
            )
            check_flex_message(message, hub.time_zone)
            if message.currency != "EUR":
                raise Rejected("Invalid Message: Currency")
            if Decimal(message.activation_factor) != Decimal("1.00"):
                raise Rejected("Invalid Message: ActivationFactor below MinActivationFactor")
            outcome = services.flex_order_accept(
                buyer=operator,
                message_id=message.message_id or "",
                offer_message_id=message.flex_offer_message_id or "",
                isps=[OrderedIsp(i.start, i.power, i.duration or 1) for i in message.isps],
                price_eur=Decimal(message.price),
                source="uftp",
                period=message.period.to_date(),
                congestion_point_id=message.congestion_point,
                option_reference=message.option_reference,
                order_reference=message.order_reference or "",
            )
            result, reason = AcceptedRejected.ACCEPTED, None
            note = "accepted" if outcome.created else "accepted again (a retry)"
        except Rejected as rejected:
            result, reason = AcceptedRejected.REJECTED, rejected.reason
            note = rejected.reason
        services.operator_message_record(
            operator=operator, text=f"FlexOrder {message.message_id}: {note}"
        )
        self._client(message.sender_domain).send_flex_order_response(
            FlexOrderResponse(
                conversation_id=message.conversation_id,
                flex_order_message_id=message.message_id or "",
                result=result,
                rejection_reason=reason,
            )
        )

    @_with_db
    def process_d_prognosis_response(self, message: Any) -> None:
        operator = operator_by_domain(message.sender_domain)
        if operator is None:
            return
        accepted = message.result == AcceptedRejected.ACCEPTED
        services.prognosis_response_record(
            operator=operator,
            message_id=message.d_prognosis_message_id,
            accepted=accepted,
            reason=message.rejection_reason,
        )
        services.operator_message_record(
            operator=operator,
            text=f"D-PrognosisResponse: {'accepted' if accepted else message.rejection_reason}",
        )

    @_with_db
    def process_flex_offer_response(self, message: Any) -> None:
        operator = operator_by_domain(message.sender_domain)
        if operator is None:
            return
        services.offer_response_record(
            operator=operator,
            message_id=message.flex_offer_message_id,
            accepted=message.result == AcceptedRejected.ACCEPTED,
        )

    @_with_db
    def process_flex_reservation_update(self, message: FlexReservationUpdate) -> None:
        # The hub has no bilateral reservation contract: say so rather than stay silent.
        self._client(message.sender_domain).send_flex_reservation_update_response(
            FlexReservationUpdateResponse(
                conversation_id=message.conversation_id,
                flex_reservation_update_message_id=message.message_id or "",
                result=AcceptedRejected.REJECTED,
                rejection_reason="Unknown Reference: no reservation contract",
            )
        )

    @_with_db
    def process_flex_settlement(self, message: FlexSettlement) -> None:
        """Each order's settlement checked against the hub's own (accepted or disputed, kept
        once per MessageID); an unknown order rejects the message."""
        operator = operator_by_domain(message.sender_domain)
        if operator is None:
            return
        answer = services.flex_settlement_check(
            operator=operator,
            message_id=message.message_id or "",
            conversation_id=message.conversation_id,
            period_start=message.period_start.to_date(),
            period_end=message.period_end.to_date(),
            currency=message.currency,
            claims=[claim_of(item) for item in message.flex_order_settlements],
        )
        disputed = sum(not v.accepted for v in answer.verdicts)
        services.operator_message_record(
            operator=operator,
            text=f"FlexSettlement {message.message_id}: "
            + (answer.reason or f"{len(answer.verdicts) - disputed} accepted, {disputed} disputed"),
        )
        self._client(message.sender_domain).send_flex_settlement_response(
            settlement_response(message, answer)
        )

    def process_flex_offer_revocation_response(self, message: Any) -> None:
        logger.info("FlexOfferRevocationResponse from %s", message.sender_domain)

    def process_metering_response(self, message: Any) -> None:
        logger.info("MeteringResponse from %s", message.sender_domain)

    def process_agr_portfolio_query_response(self, message: Any) -> None:
        logger.info("AgrPortfolioQueryResponse from %s", message.sender_domain)

    def process_agr_portfolio_update_response(self, message: Any) -> None:
        logger.info("AgrPortfolioUpdateResponse from %s", message.sender_domain)


def prognoses_send(*, hub_id: int) -> tuple[int, float]:
    """Send what ``services.prognoses_prepare`` finds changed; ``(sent, seconds to wait)``."""
    from django.core.exceptions import ImproperlyConfigured

    from energy.grid.keys import identity
    from sharing.models import Hub

    hub = Hub.objects.filter(pk=hub_id).first()
    if hub is None:
        return 0, 0.0
    drafts, wait = services.prognoses_prepare(hub=hub)
    if not drafts:
        return 0, wait
    try:
        me = identity()
    except ImproperlyConfigured as exc:
        logger.error("D-Prognosis of hub %s not sent: %s", hub.slug, exc)
        for draft in drafts:
            services.prognosis_sent(record=draft.record, delivered=False, error=str(exc))
        return 0, wait
    return sum(prognosis_send(d, me) for d in drafts), wait
