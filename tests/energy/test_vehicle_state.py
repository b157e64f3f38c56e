"""A charge reading that departs from the plan asks for a re-plan; one that agrees does not."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from energy import locks
from energy.models import ChargeLevelReading, PlanSlot
from energy.services import replan
from energy.services.planning import hub_plan
from energy.services.vehicle_state import charge_level_record
from sharing.models import Vehicle


@pytest.fixture
def requests(monkeypatch):
    asked: list[tuple[int, str]] = []
    monkeypatch.setattr(
        "energy.services.vehicle_state.replan_request",
        lambda *, hub_id, reason: asked.append((hub_id, reason)),
    )
    return asked


@pytest.mark.django_db
def test_a_reading_close_to_the_plan_needs_no_new_plan(hub, requests):
    hub_plan(hub=hub, trigger="test", slots=8)
    car = Vehicle.objects.filter(hub=hub).earliest("pk")
    now = timezone.now()
    expected = PlanSlot.objects.filter(vehicle=car, run__is_current=True).earliest("start")
    charge_level_record(
        vehicle=car, soc_kwh=expected.soc_kwh + Decimal("0.5"), source="charger", measured_at=now
    )
    assert requests == []
    car.refresh_from_db()
    assert car.last_known_soc_kwh == expected.soc_kwh + Decimal("0.5")
    assert ChargeLevelReading.objects.filter(vehicle=car).count() == 1


@pytest.mark.django_db
def test_a_reading_far_from_the_plan_asks_for_a_re_plan_and_is_clamped_to_the_battery(
    hub, requests
):
    hub_plan(hub=hub, trigger="test", slots=8)
    car = Vehicle.objects.filter(hub=hub).earliest("pk")
    reading = charge_level_record(vehicle=car, soc_kwh=Decimal("999"), source="car")
    assert reading.soc_kwh == car.model.usable_battery_kwh
    assert requests == [(hub.pk, "charge level")]


def test_replans_paused_suppresses_requests(monkeypatch):
    queued = []
    monkeypatch.setattr(replan.transaction, "on_commit", lambda fn: queued.append(fn))
    with locks.replans_paused():
        replan.replan_request(hub_id=1, reason="seed")
    assert queued == []
    replan.replan_request(hub_id=1, reason="after")
    assert len(queued) == 1
