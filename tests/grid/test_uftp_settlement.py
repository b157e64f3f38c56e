"""The grid operator's FlexSettlement over signed HTTP: each order's figures checked against the
hub's own settlement (accepted or disputed, kept once per MessageID); an unknown order rejects
the message and nothing is kept."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from shapeshifter_uftp import (
    AcceptedRejected,
    ContractSettlement,
    ContractSettlementISP,
    ContractSettlementPeriod,
    FlexOrderSettlement,
    FlexOrderSettlementISP,
    FlexSettlement,
    FlexSettlementResponse,
)
from shapeshifter_uftp.exceptions import ClientTransportException
from shapeshifter_uftp.uftp.enums import AcceptedDisputed
from xsdata.models.datatype import XmlDate

from energy.grid.services import OrderedIsp, RequestedIsp, flex_offers_make, flex_order_accept
from energy.grid.settlement import order_delivery
from energy.models import Charger, ChargerIspPower, DsoOrderSettlement, DsoSettlement, GridOrder
from tests.grid.helpers import planned_tomorrow, tomorrow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def order(grid, monkeypatch) -> GridOrder:
    """The DSO's order DSO-9 of 4 kW less import in ISPs 40-43 tomorrow, and meter values
    saying 4, 2, 0 and 4 kW of it were delivered (the car fed back instead of charging)."""
    monkeypatch.setattr("energy.grid.services.orders.replan_request", lambda **kw: None)
    hub = planned_tomorrow(grid.operator)
    (offer,) = flex_offers_make(
        hub=hub,
        buyer=grid.operator,
        period=tomorrow(hub),
        isps=[RequestedIsp(i, -4000, -1000) for i in range(40, 44)],
    )
    order = flex_order_accept(
        buyer=grid.operator,
        message_id=str(uuid.uuid4()),
        offer_message_id=str(offer.message_id),
        isps=[OrderedIsp(i, -4000) for i in range(40, 44)],
        price_eur=offer.price_eur,
        source="uftp",
        order_reference="DSO-9",
    ).order
    charger = Charger.objects.filter(bay__hub=hub)[0]
    for slot, kw in zip(order.slots.all(), [-1.0, 1.0, 3.0, -1.0], strict=True):
        ChargerIspPower.objects.create(
            charger=charger, hub=hub, start=slot.start, power_sum_kw=kw, samples=1
        )
    return order


@pytest.fixture
def after(order):
    """Two days on, when every ISP of the order is over (the services keep running)."""
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=True):
        yield


def settlement_of(order: GridOrder, *, extra_deficiency_w: int = 0, reference: str = "DSO-9"):
    """The DSO's FlexSettlement of the month, with the hub's own figures (plus a difference)."""
    delivery = order_delivery(order)
    penalty = (order.price_eur - delivery.income_eur).quantize(Decimal("0.0001"))
    period = XmlDate.from_date(order.offer.period)
    first = order.offer.period.replace(day=1)
    return FlexSettlement(
        period_start=XmlDate.from_date(first),
        period_end=XmlDate.from_date((first + timedelta(days=31)).replace(day=1) - timedelta(1)),
        currency="EUR",
        flex_order_settlements=[
            FlexOrderSettlement(
                order_reference=reference,
                period=period,
                congestion_point=order.offer.congestion_point,
                price=order.price_eur,
                penalty=penalty,
                net_settlement=order.price_eur - penalty,
                isps=[
                    FlexOrderSettlementISP(
                        start=i.isp,
                        baseline_power=i.baseline_w,
                        ordered_flex_power=i.ordered_w,
                        actual_power=i.measured_w or 0,
                        delivered_flex_power=i.ordered_w + i.deficiency_w,
                        power_deficiency=i.deficiency_w + extra_deficiency_w,
                    )
                    for i in delivery.isps
                ],
            )
        ],
        # The library's FlexSettlement wants at least one contract settlement; the hub has no
        # bilateral contract, so it is ignored.
        contract_settlements=[
            ContractSettlement(
                contract_id="none",
                periods=[
                    ContractSettlementPeriod(
                        period=period, isps=[ContractSettlementISP(start=1, reserved_power=0)]
                    )
                ],
            )
        ],
    )


def answer(grid, message: FlexSettlement) -> FlexSettlementResponse:
    grid.client().send_flex_settlement(message)
    response = grid.next(FlexSettlementResponse)
    assert response.flex_settlement_message_id == message.message_id
    return response


def test_matching_figures_are_accepted_once_per_message(grid, order, after):
    message = settlement_of(order)
    message.message_id = str(uuid.uuid4())
    response = answer(grid, message)
    assert response.result == AcceptedRejected.ACCEPTED, response.rejection_reason
    (status,) = response.flex_order_settlement_statuses
    assert (status.order_reference, status.disposition) == ("DSO-9", AcceptedDisputed.ACCEPTED)
    (kept,) = DsoOrderSettlement.objects.filter(order=order)
    assert kept.verdict == "accepted" and kept.net_eur == order.price_eur * Decimal("0.625")
    assert [i["dso_deficiency_w"] for i in kept.isps] == [0, 2000, 4000, 0]
    assert {i["measured_by"] for i in kept.isps} == {"chargers"}

    # The DSO sends the same message again: the same answer, nothing new kept.
    again = settlement_of(order)
    again.message_id = message.message_id
    assert answer(grid, again).flex_order_settlement_statuses[0].disposition == "Accepted"
    assert DsoSettlement.objects.count() == 1 and DsoOrderSettlement.objects.count() == 1
    # A different message under that MessageID is refused.
    changed = settlement_of(order, extra_deficiency_w=500)
    changed.message_id = message.message_id
    assert answer(grid, changed).rejection_reason == "Duplicate Identifier"
    grid.operator.refresh_from_db()
    assert grid.operator.last_message.startswith("FlexSettlement")


def test_figures_the_hub_did_not_measure_are_disputed(grid, order, after):
    response = answer(grid, settlement_of(order, extra_deficiency_w=1500))
    assert response.result == AcceptedRejected.ACCEPTED  # the message is fine; the order is not
    (status,) = response.flex_order_settlement_statuses
    assert status.disposition == AcceptedDisputed.DISPUTED
    assert "ISP 40: deficiency 1500 W, the hub measured 0 W" in status.dispute_reason
    (kept,) = DsoOrderSettlement.objects.filter(order=order)
    assert kept.verdict == "disputed" and kept.dispute_reason == status.dispute_reason


def test_an_unknown_order_rejects_the_message_and_nothing_is_kept(grid, order, after):
    response = answer(grid, settlement_of(order, reference="DSO-404"))
    assert response.result == AcceptedRejected.REJECTED
    assert response.rejection_reason == "Unknown Reference"
    (status,) = response.flex_order_settlement_statuses
    assert status.disposition == AcceptedDisputed.DISPUTED
    assert not DsoSettlement.objects.exists() and not DsoOrderSettlement.objects.exists()


def test_a_settlement_from_an_unknown_sender_is_refused_before_it_is_read(grid, order):
    with pytest.raises(ClientTransportException) as refused:
        grid.client(domain="intruder.example.nl").send_flex_settlement(settlement_of(order))
    assert refused.value.response.status_code == 401
    assert not DsoSettlement.objects.exists()


def test_isps_not_over_yet_are_disputed(grid, order):
    (status,) = answer(grid, settlement_of(order)).flex_order_settlement_statuses
    assert status.disposition == AcceptedDisputed.DISPUTED
    assert "ISP 40 is not over yet" in status.dispute_reason
