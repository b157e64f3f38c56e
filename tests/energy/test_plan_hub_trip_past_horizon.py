"""A hub with a car on a trip that ends after the planning horizon is still planned.

`build_hub_scenario` writes `plugged_in_from_slot` = `slots` for such a car; the dispatcher's
parser used to reject that ("must be <= slots - 1"), so the whole hub's run failed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from energy.dispatch import check_plan, parse_plan, parse_scenario
from energy.models import RunStatus
from energy.services.planning import hub_plan
from sharing.models import Booking, BookingStatus, Vehicle
from sharing.services.bookings import booking_create

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 6, 10, 8, 0, tzinfo=AMS)


@pytest.mark.django_db
def test_a_car_away_past_the_horizon_leaves_the_hub_planned(hub, resident):
    with time_machine.travel(NOW, tick=False):
        trip = booking_create(
            resident=resident,
            hub=hub,
            start=NOW + timedelta(hours=1),
            end=NOW + timedelta(hours=3),
            promised_range_km=100,
            now=NOW,
        )
        car = Vehicle.objects.filter(hub=hub).order_by("plate").first()
        assert car is not None
        # a long trip that began yesterday and comes back the day after tomorrow
        Booking.objects.filter(pk=trip.pk).update(
            status=BookingStatus.ACTIVE,
            vehicle=car,
            start=NOW - timedelta(days=1),
            end=NOW + timedelta(days=2),
            block_start=NOW - timedelta(days=1),
            block_end=NOW + timedelta(days=2, minutes=15),
        )
        run = hub_plan(hub=hub, trigger="test", slots=96)

    assert run.status == RunStatus.SUCCEEDED, run.error
    scenario = parse_scenario(run.scenario)
    away = next(v for v in scenario.vehicles if v.id == car.plate)
    assert away.plugged_in_from_slot == 96
    plan = parse_plan(run.plan, scenario)
    assert check_plan(scenario, plan).valid
    assert not any(plan.power_kw[car.plate])


@pytest.mark.django_db
def test_a_booking_bound_to_an_overdue_car_does_not_stop_the_hubs_plan(hub, resident):
    """The overdue car is assumed back in the next slot, after its next booking's start: the
    spec rejects that bound booking (strict reading 4), so it is planned unbound, with a note,
    and every other booking and car is still planned."""
    with time_machine.travel(NOW, tick=False):
        late = booking_create(
            resident=resident,
            hub=hub,
            start=NOW + timedelta(hours=1),
            end=NOW + timedelta(hours=2),
            promised_range_km=50,
            now=NOW,
        )
        nxt = booking_create(
            resident=resident,
            hub=hub,
            start=NOW + timedelta(hours=3),
            end=NOW + timedelta(hours=5),
            promised_range_km=80,
            now=NOW,
        )
        car = Vehicle.objects.filter(hub=hub).order_by("plate").first()
        assert car is not None
        # the car should have been back at 07:45; its next booking starts now and is bound
        Booking.objects.filter(pk=late.pk).update(
            status=BookingStatus.ACTIVE,
            vehicle=car,
            start=NOW - timedelta(hours=3),
            end=NOW - timedelta(minutes=15),
            block_start=NOW - timedelta(hours=3),
            block_end=NOW,
        )
        Booking.objects.filter(pk=nxt.pk).update(
            status=BookingStatus.BOUND,
            vehicle=car,
            start=NOW,
            end=NOW + timedelta(hours=2),
            block_start=NOW,
            block_end=NOW + timedelta(hours=2, minutes=15),
        )
        run = hub_plan(hub=hub, trigger="test", slots=96)

    assert run.status == RunStatus.SUCCEEDED, run.error
    key = f"booking-{nxt.pk}"
    assert run.plan is not None
    notes = run.plan["summary"]["notes"]
    assert f"scenario: {key} planned without its car {car.plate}" in notes
    scenario = parse_scenario(run.scenario)
    booking = next(b for b in scenario.bookings if b.id == key)
    assert booking.vehicle is None
    plan = parse_plan(run.plan, scenario)
    assert check_plan(scenario, plan).valid
    assert plan.assignments[key] != car.plate  # the car is not back yet
