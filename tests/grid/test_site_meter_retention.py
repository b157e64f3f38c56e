"""The site meter's raw readings are pruned past SITE_METER_RETENTION_DAYS, except a hub's
readings of a (local) month whose UFTP settlement the grid operator has not accepted yet."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from config.celery import app
from energy.grid.services import site_meter_readings_prune
from energy.grid.tasks import purge_site_meter_readings
from energy.models import (
    Aggregator,
    DsoOrderSettlement,
    DsoSettlement,
    GridOffer,
    GridOperator,
    GridOrder,
    SiteIspPower,
    SiteMeterReading,
)
from sharing.models import Hub
from tests.energy.conftest import make_hub
from tests.grid.helpers import stedin

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)  # 400 days back: 5 November 2025


@pytest.fixture(autouse=True)
def _now(settings):
    settings.SITE_METER_RETENTION_DAYS = 400
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def operator() -> GridOperator:
    return stedin()


def order_on(hub: Hub, day: date, buyer: GridOperator | Aggregator) -> GridOrder:
    field = "operator" if isinstance(buyer, GridOperator) else "aggregator"
    offer = GridOffer.objects.create(
        hub=hub,
        message_id=uuid.uuid4(),
        conversation_id=uuid.uuid4(),
        period=day,
        congestion_point="ean.1",
        direction="up",
        option_reference="o1",
        price_eur=Decimal("2"),
        expires_at=NOW,
        **{field: buyer},
    )
    return GridOrder.objects.create(
        offer=offer, message_id=uuid.uuid4(), source="uftp", price_eur=Decimal("2")
    )


def settle(order: GridOrder, verdict: str, received: datetime) -> None:
    first = order.offer.period.replace(day=1)
    assert order.offer.operator is not None
    record = DsoSettlement.objects.create(
        operator=order.offer.operator,
        message_id=uuid.uuid4(),
        period_start=first,
        period_end=first + timedelta(days=27),
        currency="EUR",
        fingerprint="x",
        received_at=received,
    )
    DsoOrderSettlement.objects.create(
        settlement=record,
        order=order,
        order_reference="R",
        price_eur=Decimal("2"),
        penalty_eur=Decimal("0"),
        net_eur=Decimal("2"),
        hub_income_eur=Decimal("2"),
        verdict=verdict,
    )


def read(hub: Hub, at: datetime) -> SiteMeterReading:
    return SiteMeterReading.objects.create(hub=hub, at=at, net_kw=1.0)


def test_old_readings_go_but_a_month_still_being_settled_keeps_its_own(operator):
    hub, other = make_hub("a"), make_hub("b")
    order_on(hub, date(2025, 6, 20), operator)  # June: no FlexSettlement yet
    august = order_on(hub, date(2025, 8, 3), operator)
    settle(august, "disputed", datetime(2025, 9, 5, tzinfo=UTC))
    settle(august, "accepted", datetime(2025, 9, 20, tzinfo=UTC))  # the newest one counts
    settle(order_on(hub, date(2025, 9, 9), operator), "disputed", datetime(2025, 10, 5, tzinfo=UTC))
    order_on(hub, date(2025, 10, 1), Aggregator.objects.create(name="Flex BV"))  # no UFTP
    kept = [
        read(hub, datetime(2025, 6, 30, 21, 30, tzinfo=UTC)),  # 23:30 on 30 June, Amsterdam
        read(hub, datetime(2025, 9, 15, tzinfo=UTC)),  # disputed
        read(hub, datetime(2025, 11, 6, tzinfo=UTC)),  # within 400 days
    ]
    gone = [
        read(hub, datetime(2025, 6, 30, 22, 30, tzinfo=UTC)),  # 00:30 on 1 July, Amsterdam
        read(hub, datetime(2025, 8, 15, tzinfo=UTC)),  # accepted
        read(hub, datetime(2025, 10, 15, tzinfo=UTC)),  # only an aggregator's order
        read(other, datetime(2025, 6, 15, tzinfo=UTC)),  # the other hub settles nothing
    ]
    isp = SiteIspPower.objects.create(
        hub=hub, start=datetime(2025, 8, 15, tzinfo=UTC), power_sum_kw=1.0, samples=1
    )

    assert site_meter_readings_prune(batch=2) == len(gone)  # in batches
    left = set(SiteMeterReading.objects.values_list("pk", flat=True))
    assert left == {r.pk for r in kept}
    assert SiteIspPower.objects.filter(pk=isp.pk).exists()  # the settlement's sums stay
    assert site_meter_readings_prune() == 0  # twice is harmless


def test_a_month_is_released_once_its_settlement_is_accepted(operator):
    hub = make_hub("a")
    june = order_on(hub, date(2025, 6, 20), operator)
    read(hub, datetime(2025, 6, 10, tzinfo=UTC))
    assert site_meter_readings_prune() == 0
    settle(june, "accepted", timezone.now())
    assert site_meter_readings_prune() == 1 and not SiteMeterReading.objects.exists()


def test_the_retention_is_a_setting_and_beat_runs_the_task_nightly(operator, settings):
    hub = make_hub("a")
    read(hub, NOW - timedelta(days=40))
    assert purge_site_meter_readings.delay().get() == 0
    settings.SITE_METER_RETENTION_DAYS = 30
    assert purge_site_meter_readings.delay().get() == 1
    entry = app.conf.beat_schedule["purge-site-meter-readings"]
    assert entry["task"] == purge_site_meter_readings.name and entry["options"]["expires"]
