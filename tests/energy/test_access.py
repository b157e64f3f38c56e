"""A resident's own car and charging sessions are theirs alone: another household's resident
and staff (whether they manage the car's hub or another one) get 404 and change nothing. Staff
see charging in the admin."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from energy.models import ChargingSession, PrivateCar
from tests.factories import (
    BayFactory,
    ChargingSessionFactory,
    HubFactory,
    PrivateCarFactory,
    SiteFactory,
    UserFactory,
)

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 3, 10, 18, 0, tzinfo=AMS)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def bay(db):
    hub = HubFactory(slug="zonnehof", name="Zonnehof")
    SiteFactory(hub=hub)
    return BayFactory(hub=hub, label="P1")


@pytest.fixture
def car(resident):
    return PrivateCarFactory(owner=resident, plate="AB-123-C")


@pytest.fixture
def session(car, bay):
    return ChargingSessionFactory(car=car, bay=bay, departure_at=NOW + timedelta(hours=12))


def _manager(email, hub):
    user = UserFactory.create(email=email, is_staff=True, household=None)
    user.groups.add(Group.objects.get(name="Fleet admins"))
    hub.managers.add(user)
    return user


@pytest.fixture
def same_hub_manager(bay):
    return _manager("harm@example.org", bay.hub)


@pytest.fixture
def other_hub_manager(db):
    return _manager("olga@example.org", HubFactory(slug="elsewhere", name="Elsewhere"))


def _state(car: PrivateCar, session: ChargingSession) -> tuple[object, ...]:
    car.refresh_from_db()
    session.refresh_from_db()
    return (
        car.plate,
        car.battery_kwh,
        car.may_feed_back,
        session.status,
        session.departure_at,
        session.target_soc_kwh,
        session.allow_feed_back,
        ChargingSession.objects.count(),
    )


@pytest.mark.parametrize("who", ["neighbour", "other_hub_manager", "same_hub_manager"])
def test_someone_elses_car_and_session_are_404_and_nothing_changes(
    request, client, car, session, bay, who
):
    client.force_login(request.getfixturevalue(who))
    before = _state(car, session)
    car_data = {
        "plate": "XX-999-X",
        "battery_kwh": "10",
        "max_charge_kw": "3",
        "max_discharge_kw": "0",
        "floor_kwh": "1",
    }
    settings_data = {
        "departure_at": "2026-03-11T09:00",
        "target_soc_kwh": "1",
        "feed_back_floor_kwh": "1",
    }
    start_data = {**settings_data, "bay": str(bay.pk), "initial_soc_kwh": "5"}
    requests = [
        ("get", reverse("energy:car_edit", args=[car.pk]), {}),
        ("post", reverse("energy:car_edit", args=[car.pk]), car_data),
        ("get", reverse("energy:session_start", args=[car.pk]), {}),
        ("post", reverse("energy:session_start", args=[car.pk]), start_data),
        ("get", reverse("energy:session_detail", args=[session.pk]), {}),
        ("post", reverse("energy:session_detail", args=[session.pk]), settings_data),
        ("post", reverse("energy:session_end", args=[session.pk]), {}),
    ]
    for method, url, data in requests:
        assert getattr(client, method)(url, data).status_code == 404, (method, url)
    assert _state(car, session) == before
    assert "AB-123-C" not in client.get(reverse("energy:my_car")).content.decode()
