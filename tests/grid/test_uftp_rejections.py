"""Bad FlexOrders over signed HTTP: each refused with the UFTP answer, and nothing written."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.utils import timezone
from shapeshifter_uftp import (
    AcceptedRejected,
    FlexOrder,
    FlexOrderISP,
    FlexOrderResponse,
    FlexRequest,
    FlexRequestISP,
    FlexRequestResponse,
    FlexReservationUpdate,
    FlexReservationUpdateISP,
    FlexReservationUpdateResponse,
)
from shapeshifter_uftp.exceptions import ClientTransportException
from shapeshifter_uftp.uftp.enums import AvailableRequested
from xsdata.models.datatype import XmlDate, XmlDuration

from energy.grid.keys import keypair_generate
from energy.grid.services import RequestedIsp, flex_offers_make
from energy.models import DispatchRun, GridOffer, GridOrder, GridOrderSlot
from tests.grid.helpers import EAN, planned_tomorrow, tomorrow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def offer(grid):
    hub = planned_tomorrow(grid.operator)
    offers = flex_offers_make(
        hub=hub,
        buyer=grid.operator,
        period=tomorrow(hub),
        isps=[RequestedIsp(isp=i, min_w=-4_000, max_w=-1_000) for i in range(40, 44)],
    )
    assert len(offers) == 1
    return offers[0]


def order(offer: GridOffer, **changes) -> FlexOrder:
    fields = {
        "isp_duration": XmlDuration("PT15M"),
        "time_zone": "Europe/Amsterdam",
        "period": XmlDate.from_date(offer.period),
        "congestion_point": offer.congestion_point,
        "flex_offer_message_id": str(offer.message_id),
        "option_reference": offer.option_reference,
        "price": offer.price_eur,
        "currency": "EUR",
        "order_reference": "DSO-7",
        "isps": [FlexOrderISP(power=s.power_w, start=s.isp) for s in offer.slots.all()],
    }
    fields.update(changes)
    return FlexOrder(**fields)


def nothing_written(offer: GridOffer, runs: int) -> None:
    offer.refresh_from_db()
    assert offer.status == "open"
    assert not GridOrder.objects.exists()
    assert not GridOrderSlot.objects.exists()
    assert DispatchRun.objects.count() == runs


def rejected(grid, message: FlexOrder) -> str:
    grid.client().send_flex_order(message)
    answer = grid.next(FlexOrderResponse)
    assert answer.flex_order_message_id == message.message_id
    assert answer.result == AcceptedRejected.REJECTED
    return answer.rejection_reason


def test_an_offer_answers_the_request_with_no_more_than_asked_and_the_plan_holds(offer):
    # the plan holds 5 kW up per slot; the request wanted at most 4 kW less import
    assert [s.power_w for s in offer.slots.all()] == [-4_000] * 4
    assert all(s.baseline_w == -2_000 for s in offer.slots.all())
    assert offer.price_eur == Decimal("1.6000")  # 4 ISPs x 4 kW x 0.10 EUR/kW
    assert offer.expires_at > timezone.now()


def test_an_order_signed_with_another_key_is_refused_before_it_is_read(grid, offer):
    runs = DispatchRun.objects.count()
    forger, _ = keypair_generate()
    with pytest.raises(ClientTransportException) as refused:
        grid.client(signing_key=forger).send_flex_order(order(offer))
    assert refused.value.response.status_code == 401
    nothing_written(offer, runs)


def test_an_order_from_an_unknown_sender_is_refused(grid, offer):
    runs = DispatchRun.objects.count()
    with pytest.raises(ClientTransportException) as refused:
        grid.client(domain="intruder.example.nl").send_flex_order(order(offer))
    assert refused.value.response.status_code == 401
    nothing_written(offer, runs)


def test_malformed_xml_is_a_client_error_not_a_server_error(grid, offer):
    runs = DispatchRun.objects.count()
    for body in (
        b"<SignedMessage",
        b"not xml at all",
        b"<Foo/>",
        b"<SignedMessage SenderDomain='dso.example.nl' SenderRole='DSO' Body='AAAA'/>",
    ):
        answer = requests.post(
            grid.agr_url, data=body, headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=10
        )
        assert 400 <= answer.status_code < 500, (body, answer.status_code)
    nothing_written(offer, runs)


def test_an_expired_offer_cannot_be_ordered(grid, offer):
    runs = DispatchRun.objects.count()
    GridOffer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert rejected(grid, order(offer)) == "Reference Message Expired"
    nothing_written(offer, runs)


def test_an_order_above_the_offer_is_refused(grid, offer):
    runs = DispatchRun.objects.count()
    above = [FlexOrderISP(power=2 * s.power_w, start=s.isp) for s in offer.slots.all()]
    assert rejected(grid, order(offer, isps=above)) == "ISPs Out Of Bounds"
    other_way = [FlexOrderISP(power=-s.power_w, start=s.isp) for s in offer.slots.all()]
    assert rejected(grid, order(offer, isps=other_way)) == "ISPs Out Of Bounds"
    not_offered = [FlexOrderISP(power=-1000, start=10)]
    assert rejected(grid, order(offer, isps=not_offered)) == "ISPs Out Of Bounds"
    nothing_written(offer, runs)


def test_an_order_of_an_unknown_offer_or_below_its_price_is_refused(grid, offer):
    runs = DispatchRun.objects.count()
    assert (
        rejected(grid, order(offer, flex_offer_message_id=str(uuid.uuid4()))) == "Unknown Reference"
    )
    cheap = rejected(grid, order(offer, price=offer.price_eur / 2))
    assert cheap.startswith("Invalid Message: price below the offer")
    assert (
        rejected(grid, order(offer, congestion_point="ean.871687129999999999"))
        == "Invalid Congestion Point"
    )
    assert (
        rejected(grid, order(offer, isp_duration=XmlDuration("PT30M"))) == "ISP Duration Rejected"
    )
    nothing_written(offer, runs)


def test_a_request_for_a_connection_of_another_operator_is_refused(grid, offer):
    grid.client().send_flex_request(
        FlexRequest(
            isp_duration=XmlDuration("PT15M"),
            time_zone="Europe/Amsterdam",
            period=XmlDate.from_date(offer.period),
            congestion_point="ean.871687129999999999",
            revision=1,
            expiration_date_time=(timezone.now() + timedelta(hours=1)).isoformat(),
            isps=[
                FlexRequestISP(
                    disposition=AvailableRequested.REQUESTED,
                    min_power=-5000,
                    max_power=-1000,
                    start=40,
                )
            ],
        )
    )
    answer = grid.next(FlexRequestResponse)
    assert answer.result == AcceptedRejected.REJECTED
    assert answer.rejection_reason == "Invalid Congestion Point"
    assert GridOffer.objects.count() == 1
    assert EAN in offer.congestion_point


def test_a_flex_reservation_update_is_rejected_with_the_reason_and_changes_nothing(grid):
    """The hub has no bilateral reservation contract (issue 13 keeps it so): the DSO hears why."""
    hub = planned_tomorrow(grid.operator)
    runs = DispatchRun.objects.count()
    grid.client().send_flex_reservation_update(
        FlexReservationUpdate(
            isp_duration=XmlDuration("PT15M"),
            time_zone="Europe/Amsterdam",
            period=XmlDate.from_date(tomorrow(hub)),
            congestion_point=f"ean.{EAN}",
            contract_id="BILATERAL-1",
            reference="RES-1",
            isps=[FlexReservationUpdateISP(power=-2000, start=40, duration=1)],
        )
    )
    answer = grid.next(FlexReservationUpdateResponse)
    assert answer.result == AcceptedRejected.REJECTED
    assert answer.rejection_reason == "Unknown Reference: no reservation contract"
    assert not GridOrder.objects.exists() and DispatchRun.objects.count() == runs
