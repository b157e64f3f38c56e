"""Request -> offer -> order -> order response -> re-plan with the order's band, over HTTP with
signed messages between the library's DSO roles and our AGR service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from shapeshifter_uftp import (
    AcceptedRejected,
    DPrognosis,
    FlexOffer,
    FlexOrder,
    FlexOrderISP,
    FlexOrderResponse,
    FlexRequest,
    FlexRequestISP,
    FlexRequestResponse,
)
from shapeshifter_uftp.uftp.enums import AvailableRequested
from xsdata.models.datatype import XmlDate, XmlDuration

from energy.dispatch import check_plan, parse_plan, parse_scenario
from energy.grid.selectors import day_isp_starts, planned_slots
from energy.grid.tasks import send_d_prognoses
from energy.locks import replans_paused
from energy.models import (
    DispatchRun,
    FlexPriceSlot,
    GridOrder,
    RunStatus,
    Site,
)
from energy.models import (
    DPrognosis as SentPrognosis,
)
from energy.services.planning import hub_plan
from sharing.services.bookings import booking_create
from tests.energy.conftest import make_hub

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def planned_hub(grid, settings, resident):
    settings.DISPATCH_TIME_LIMIT_SECONDS = 8
    settings.DISPATCH_DEBOUNCE_SECONDS = 0
    hub = make_hub(cars=2)
    Site.objects.filter(hub=hub).update(grid_operator=grid.operator)
    # Alice's promise: 150 km tomorrow morning, which every plan must keep.
    morning = datetime.combine(tomorrow(hub), time(7), tzinfo=hub.tz)
    with replans_paused():
        booking_create(
            resident=resident,
            hub=hub,
            start=morning,
            end=morning + timedelta(hours=2),
            promised_range_km=150,
        )
    start = hub.floor_to_slot(timezone.now())
    FlexPriceSlot.objects.bulk_create(
        FlexPriceSlot(
            start=start + timedelta(minutes=15 * i),
            up_eur_per_kw=Decimal("0.05"),
            down_eur_per_kw=Decimal("0.03"),
        )
        for i in range(200)
    )
    run = hub_plan(hub=hub, trigger="test")
    assert run.status == RunStatus.SUCCEEDED
    return hub


def tomorrow(hub):
    return timezone.localtime(timezone.now(), hub.tz).date() + timedelta(days=1)


def flex_request(hub, period, requested: range) -> FlexRequest:
    count = len(day_isp_starts(period, hub.time_zone))
    return FlexRequest(
        isp_duration=XmlDuration("PT15M"),
        time_zone="Europe/Amsterdam",
        period=XmlDate.from_date(period),
        congestion_point="ean.871687120000000001",
        revision=1,
        expiration_date_time=(timezone.now() + timedelta(hours=2)).astimezone(UTC).isoformat(),
        isps=[
            FlexRequestISP(
                disposition=AvailableRequested.REQUESTED
                if i in requested
                else AvailableRequested.AVAILABLE,
                min_power=-50_000 if i in requested else -1_000_000,
                max_power=-1_000 if i in requested else 1_000_000,
                start=i,
            )
            for i in range(1, count + 1)
        ],
    )


def order_for(offer: FlexOffer, message_id: str | None = None) -> FlexOrder:
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
        order_reference="DSO-ORDER-1",
        isps=[FlexOrderISP(power=i.power, start=i.start, duration=i.duration) for i in option.isps],
    )


def test_request_offer_order_replan_keeps_the_band_and_every_promise(grid, planned_hub):
    hub = planned_hub
    period = tomorrow(hub)
    client = grid.client()

    # The new plan's baseline reaches the DSO as a signed D-Prognosis (positive = import).
    send_d_prognoses.apply(args=(hub.pk,))
    prognosis = grid.next(DPrognosis)
    assert prognosis.congestion_point == "ean.871687120000000001"
    assert len(prognosis.isps) == len(day_isp_starts(prognosis.period.to_date(), hub.time_zone))

    count = len(day_isp_starts(period, hub.time_zone))
    client.send_flex_request(flex_request(hub, period, range(1, count + 1)))
    response = grid.next(FlexRequestResponse)
    assert response.result == AcceptedRejected.ACCEPTED
    offer = grid.next(FlexOffer)
    option = offer.offer_options[0]
    assert option.isps and all(-50_000 <= i.power < 0 for i in option.isps)
    assert offer.expiration_date_time

    # Never more than the plan holds: each ISP is within the plan's upward flexibility.
    starts = day_isp_starts(period, hub.time_zone)
    run = DispatchRun.objects.get(hub=hub, is_current=True)
    plan = planned_slots(run)
    for isp in option.isps:
        assert -isp.power <= plan[starts[isp.start - 1]].up_w

    order = order_for(offer)
    client.send_flex_order(order)
    answer = grid.next(FlexOrderResponse)
    assert answer.result == AcceptedRejected.ACCEPTED, answer.rejection_reason
    assert answer.flex_order_message_id == order.message_id

    # The re-plan after the order has the order's band in its scenario, and is valid.
    replanned = DispatchRun.objects.filter(hub=hub).order_by("-created_at")[0]
    assert replanned.pk != run.pk and replanned.status == RunStatus.SUCCEEDED
    scenario = parse_scenario(replanned.scenario)
    slot0 = replanned.horizon_start
    for isp in option.isps:
        t = int((starts[isp.start - 1] - slot0) / timedelta(minutes=15))
        baseline = plan[starts[isp.start - 1]].net_w
        assert scenario.site.grid_import_limit_kw[t] == pytest.approx(
            (baseline + isp.power) / 1000, abs=1e-3
        )
    plan_after = parse_plan(replanned.plan, scenario)
    assert check_plan(scenario, plan_after).valid
    (booking,) = scenario.bookings
    assert booking.promised_range_km == 150
    assert plan_after.assignments[booking.id] is not None  # Alice still gets a car

    # The DSO retries the same order: answered again, applied once, no new plan.
    runs = DispatchRun.objects.filter(hub=hub).count()
    client.send_flex_order(order_for(offer, message_id=order.message_id))
    again = grid.next(FlexOrderResponse)
    assert again.result == AcceptedRejected.ACCEPTED
    assert GridOrder.objects.count() == 1
    assert DispatchRun.objects.filter(hub=hub).count() == runs
    assert SentPrognosis.objects.filter(hub=hub).exists()
