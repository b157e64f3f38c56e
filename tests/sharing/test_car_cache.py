"""Reading a hub's cars for the feasibility check."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from sharing.car_cache import car_rows, hub_cars_changed
from sharing.models import BookingStatus, MaintenanceBlock, Vehicle
from tests.factories import BookingFactory, VehicleFactory
from tests.sharing.conftest import NOW

H = timedelta(hours=1)


@pytest.mark.django_db
def test_car_rows_carry_every_upcoming_maintenance_and_the_trip_under_way(hub, car, frozen):
    """The cars are read in one query joined to maintenance and trips; a car with two windows
    and a trip must come out once, with both windows and the trip."""
    idle = VehicleFactory.create(hub=hub, plate="WS-002-E")
    windows = [(NOW + 10 * H, NOW + 12 * H), (NOW + 30 * H, NOW + 31 * H)]
    for m_start, m_end in [*windows, (NOW - 5 * H, NOW - H)]:  # the last one is over
        MaintenanceBlock.objects.create(vehicle=car, start=m_start, end=m_end)
    trip = BookingFactory.create(
        hub=hub, vehicle=car, status=BookingStatus.ACTIVE, start=NOW - H, end=NOW + 2 * H
    )
    rows = {row[0]: row for row in car_rows(hub, NOW)}
    assert sorted(rows) == [car.pk, idle.pk]
    assert rows[car.pk][9] == tuple(windows)
    under_way = rows[car.pk][10]
    assert under_way is not None and under_way[:2] == (trip.pk, trip.end)
    assert rows[idle.pk][9:] == ((), None)


@pytest.mark.django_db
def test_cached_car_rows_follow_every_announced_change(hub, car, frozen):
    """This process keeps its own copy of the cached rows, under the same version: a change
    of a car reaches it as it reaches the shared cache."""
    assert car_rows(hub, NOW, cached=True)[0][7] is None  # charge never measured
    Vehicle.objects.filter(pk=car.pk).update(last_known_soc_kwh=Decimal(20), last_known_soc_at=NOW)
    assert car_rows(hub, NOW, cached=True)[0][7] is None  # not announced: still the copy
    hub_cars_changed(hub_id=hub.pk)
    assert car_rows(hub, NOW, cached=True)[0][7] == 20_000
