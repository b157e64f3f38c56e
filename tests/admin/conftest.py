"""Fiona runs the hub from Django admin: a small hub with a site, frozen on a Tuesday morning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine

from sharing.models import Booking, BookingStatus, Hub, Vehicle
from tests.energy.conftest import make_hub
from tests.factories import UserFactory

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def replans():
    """Re-plans are counted, not solved: the solver is not what these tests are about."""
    with (
        mock.patch("energy.receivers.replan_request") as from_signals,
        mock.patch("energy.admin.hubs.replan_request") as from_admin,
        mock.patch("energy.admin.runs.replan_request", new=from_admin),
    ):
        yield mock.Mock(signals=from_signals, admin=from_admin)


@pytest.fixture
def hub(db) -> Hub:
    return make_hub("wissel", cars=3)


@pytest.fixture
def other_hub(db) -> Hub:
    return make_hub("other", cars=2)


@pytest.fixture
def cars(hub) -> list[Vehicle]:
    return list(Vehicle.objects.filter(hub=hub).order_by("plate"))


@pytest.fixture
def admin_client(client, fleet_admin):
    client.force_login(fleet_admin)
    return client


@pytest.fixture
def hub_manager(db, hub):
    """Harm manages the Wisselspoor hub only (a Fleet admins group member, not superuser)."""
    from django.contrib.auth.models import Group

    user = UserFactory.create(email="harm@example.org", is_staff=True, household=None)
    user.groups.add(Group.objects.get(name="Fleet admins"))
    hub.managers.add(user)
    return user


def book(resident, hub, *, start, hours=2, km=50, vehicle=None, status=None) -> Booking:
    """A booking written directly, bound to ``vehicle`` if given."""
    end = start + timedelta(hours=hours)
    return Booking.objects.create(
        resident=resident,
        household_id=resident.household_id,
        hub=hub,
        start=start,
        end=end,
        block_start=start,
        block_end=end + hub.buffer,
        promised_range_km=km,
        expected_km=km,
        vehicle=vehicle,
        status=status or (BookingStatus.BOUND if vehicle else BookingStatus.CONFIRMED),
    )
