"""Orders as the services take them: once per message id, into the scenario's band, re-plan
queued; and never more offered than the plan holds."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from energy.dispatch import parse_scenario
from energy.grid.keys import keypair_generate
from energy.grid.selectors import day_isp_starts
from energy.grid.services import (
    OrderedIsp,
    Rejected,
    RequestedIsp,
    flex_offers_make,
    flex_order_accept,
)
from energy.models import GridOffer, GridOperator, GridOrder, GridOrderSlot
from energy.problem import build_hub_scenario
from tests.grid.helpers import planned_tomorrow, tomorrow

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return GridOperator.objects.create(
        name="DSO",
        participant_domain="dso.example.nl",
        endpoint_url="http://127.0.0.1:9/x",
        public_key=keypair_generate()[1],
    )


@pytest.fixture
def hub(operator):
    return planned_tomorrow(operator)


def ask(hub, operator, isps, *, up=True):
    band = (-4_000, -1_000) if up else (1_000, 3_000)
    return flex_offers_make(
        hub=hub,
        buyer=operator,
        period=tomorrow(hub),
        isps=[RequestedIsp(isp=i, min_w=band[0], max_w=band[1]) for i in isps],
    )


def take(offer: GridOffer, operator, message_id=None, scale=1):
    return flex_order_accept(
        buyer=operator,
        message_id=message_id or str(uuid.uuid4()),
        offer_message_id=str(offer.message_id),
        isps=[OrderedIsp(s.isp, s.power_w // scale) for s in offer.slots.all()],
        price_eur=offer.price_eur,
        source="uftp",
    )


def test_an_accepted_order_narrows_the_band_in_its_slots_and_queues_a_replan(
    hub, operator, monkeypatch
):
    queued = []
    monkeypatch.setattr(
        "energy.grid.services.orders.replan_request", lambda **kw: queued.append(kw)
    )
    (up,) = ask(hub, operator, [40, 41])
    (down,) = ask(hub, operator, [60], up=False)
    take(up, operator)
    take(down, operator)
    assert [q["hub_id"] for q in queued] == [hub.pk, hub.pk]

    starts = day_isp_starts(tomorrow(hub), hub.time_zone)
    built = build_hub_scenario(hub=hub, start=starts[0], slots=len(starts), now=timezone.now())
    site = built.document["site"]
    # baseline -2 kW; 4 kW up ordered -> import at most -6 kW: the hub must export 6 kW
    assert site["grid_import_limit_kw"][39] == site["grid_import_limit_kw"][40] == -6.0
    assert site["grid_export_limit_kw"][39] == 60.0
    # 2 kW down ordered (the plan held 2) -> export at most 0 kW
    assert site["grid_export_limit_kw"][59] == 0.0
    assert site["grid_import_limit_kw"][59] == 60.0
    assert site["grid_import_limit_kw"][10] == 60.0
    parse_scenario(built.document)  # a band the spec accepts (never empty)


def test_the_same_order_twice_is_applied_once_and_a_changed_copy_is_refused(hub, operator):
    (offer,) = ask(hub, operator, [40, 41])
    message_id = str(uuid.uuid4())
    first = take(offer, operator, message_id)
    again = take(offer, operator, message_id)
    assert first.created and not again.created
    assert again.order.pk == first.order.pk
    assert GridOrder.objects.count() == 1
    assert GridOrderSlot.objects.count() == 2
    with pytest.raises(Rejected, match="Duplicate Identifier"):
        take(offer, operator, message_id, scale=2)
    with pytest.raises(Rejected, match="Offer already ordered"):
        take(offer, operator)  # a new message id for the same offer
    assert GridOrder.objects.count() == 1


def test_open_offers_and_fresh_orders_hold_their_flexibility(hub, operator):
    # the plan holds 5 kW up per slot: 4 kW offered leaves 1 kW to a second request
    (first,) = ask(hub, operator, [40])
    (second,) = ask(hub, operator, [40])
    assert [s.power_w for s in second.slots.all()] == [-1_000]
    assert ask(hub, operator, [40]) == []
    take(first, operator)
    assert ask(hub, operator, [40]) == []
    # an expired offer gives its share back
    GridOffer.objects.filter(pk=second.pk).update(expires_at=timezone.now() - timedelta(1))
    (third,) = ask(hub, operator, [40])
    assert [s.power_w for s in third.slots.all()] == [-1_000]


def test_a_slot_ordered_one_way_is_not_offered_or_ordered_the_other_way(hub, operator):
    (up,) = ask(hub, operator, [40])
    (down,) = ask(hub, operator, [40], up=False)
    take(up, operator)
    assert ask(hub, operator, [40], up=False) == []
    with pytest.raises(Rejected, match="ISP Conflict"):
        take(down, operator)


def test_bad_requests_are_refused_with_the_uftp_reason(hub, operator):
    period = tomorrow(hub)
    with pytest.raises(Rejected, match="ISPs Out Of Bounds"):
        flex_offers_make(hub=hub, buyer=operator, period=period, isps=[RequestedIsp(500, -1, 0)])
    with pytest.raises(Rejected, match="ISP Conflict"):
        flex_offers_make(hub=hub, buyer=operator, period=period, isps=[RequestedIsp(3, -9, -1)] * 2)
    with pytest.raises(Rejected, match="Period Out Of Bounds"):
        flex_offers_make(
            hub=hub,
            buyer=operator,
            period=period - timedelta(days=3),
            isps=[RequestedIsp(3, -9, -1)],
        )
    assert not GridOffer.objects.exists()
    assert Decimal("0") == sum((o.price_eur for o in GridOffer.objects.all()), Decimal("0"))
