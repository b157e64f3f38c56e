"""Charge now: a boost plans a resident's own car flat out from the first slot until its target,
whatever the price; it is the resident's alone, and it ends with the target or the session."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from energy.models import ChargingSession, PlanSlot, PriceSlot, PrivateCar, RunStatus
from energy.services import charging_sessions
from energy.services.planning import hub_plan
from sharing.models import Bay, Hub
from tests.energy.conftest import make_hub

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 6, 10, 22, 0, tzinfo=AMS)  # night: no solar
# 30 kWh missing at 11 kW x 0.92 x 0.25 h = 2.53 kWh a slot: 12 slots flat out
TARGET_SLOTS = 12


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _prices(hub: Hub) -> None:
    """Dear for the next 3 hours, cheap after: an unboosted car waits for the cheap hours."""
    for i in range(96):
        start = NOW + timedelta(minutes=15 * i)
        price = Decimal("0.40") if i < 12 else Decimal("0.02")
        PriceSlot.objects.create(area=hub.site.price_area, start=start, day_ahead_eur_per_kwh=price)


def _session(owner, hub: Hub, *, boosted: bool) -> ChargingSession:
    car = PrivateCar.objects.create(
        owner=owner,
        plate="EV-01-X",
        battery_kwh=Decimal("60"),
        max_charge_kw=Decimal("11"),
        max_discharge_kw=Decimal("0"),
        floor_kwh=Decimal("0"),
    )
    return ChargingSession.objects.create(
        car=car,
        bay=Bay.objects.get(hub=hub, label="B03"),
        plugged_in_at=NOW,
        initial_soc_kwh=Decimal("20"),
        departure_at=NOW + timedelta(hours=16),
        target_soc_kwh=Decimal("50"),
        boost_requested_at=NOW if boosted else None,
    )


def _planned_kw(session: ChargingSession) -> list[float]:
    run = hub_plan(hub=session.bay.hub, trigger="test", slots=64)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return [
        float(p)
        for p in PlanSlot.objects.filter(run=run, session=session)
        .order_by("start")
        .values_list("power_kw", flat=True)
    ]


@pytest.mark.django_db
def test_a_boosted_car_charges_flat_out_from_the_first_slot(resident) -> None:
    hub = make_hub()
    _prices(hub)
    session = _session(resident, hub, boosted=True)
    power = _planned_kw(session)
    # full power in every slot until the target is reached (the last one may be partial)
    assert power[: TARGET_SLOTS - 1] == [pytest.approx(11.0, abs=0.01)] * (TARGET_SLOTS - 1)
    session.refresh_from_db()
    assert session.boost_requested_at is not None  # not there yet: still boosted


@pytest.mark.django_db
def test_an_unboosted_car_waits_for_the_cheap_hours(resident) -> None:
    hub = make_hub()
    _prices(hub)
    session = _session(resident, hub, boosted=False)
    power = _planned_kw(session)
    assert sum(power[:12]) == pytest.approx(0.0, abs=0.05)  # nothing in the dear hours
    assert sum(power) * 0.25 * 0.92 >= 29.9  # and its 30 kWh later


@pytest.mark.django_db
def test_the_boost_ends_when_the_target_is_reached(resident) -> None:
    hub = make_hub()
    session = _session(resident, hub, boosted=True)
    # the charger metered 11 kW for three hours: 30.4 kWh stored, the target reached
    from energy.models import Charger, ChargerIspPower

    charger = Charger.objects.get(bay=session.bay)
    for i in range(12):
        ChargerIspPower.objects.create(
            charger=charger,
            hub=hub,
            start=NOW + timedelta(minutes=15 * i),
            power_sum_kw=11.0,
            samples=1,
        )
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        run = hub_plan(hub=hub, trigger="test", slots=64)
    assert run.status == RunStatus.SUCCEEDED
    session.refresh_from_db()
    assert session.boost_requested_at is None


@pytest.mark.django_db
def test_the_boost_ends_with_the_session(resident, replans) -> None:
    hub = make_hub()
    session = _session(resident, hub, boosted=True)
    charging_sessions.charging_session_end(session=session, by=resident)
    session.refresh_from_db()
    assert session.boost_requested_at is None


# --- the page and the endpoints -------------------------------------------------------------


@pytest.mark.django_db
def test_the_owner_boosts_and_ends_it(client, resident, replans) -> None:
    hub = make_hub()
    session = _session(resident, hub, boosted=False)
    client.force_login(resident)
    page = client.get(reverse("energy:session_detail", args=[session.pk])).content.decode()
    assert reverse("energy:session_boost", args=[session.pk]) in page
    assert "This may cost more" in page
    response = client.post(reverse("energy:session_boost", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.boost_requested_at == NOW
    assert replans == [(hub.pk, f"session {session.pk} boosted")]
    page = client.get(reverse("energy:session_detail", args=[session.pk])).content.decode()
    # 30 kWh at 11 kW x 0.92: 2 h 57 min from 22:00
    assert "Boost on" in page and "about 00:57" in page
    assert reverse("energy:session_boost_end", args=[session.pk]) in page
    response = client.post(reverse("energy:session_boost_end", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.boost_requested_at is None
    assert len(replans) == 2


@pytest.mark.django_db
def test_a_boost_needs_post_and_csrf(resident) -> None:
    from django.test import Client

    hub = make_hub()
    session = _session(resident, hub, boosted=False)
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    assert client.get(reverse("energy:session_boost", args=[session.pk])).status_code == 405
    assert client.post(reverse("energy:session_boost", args=[session.pk])).status_code == 403
    session.refresh_from_db()
    assert session.boost_requested_at is None


@pytest.mark.django_db
def test_nobody_else_can_boost_staff_included(client, resident, neighbour, fleet_admin, replans):
    hub = make_hub()
    session = _session(resident, hub, boosted=False)
    for other in (neighbour, fleet_admin):
        client.force_login(other)
        for name in ("energy:session_boost", "energy:session_boost_end"):
            assert client.post(reverse(name, args=[session.pk])).status_code == 404
    session.refresh_from_db()
    assert session.boost_requested_at is None and replans == []


@pytest.mark.django_db
def test_an_unplugged_or_charged_car_gets_a_400_with_the_reason(client, resident, replans):
    hub = make_hub()
    session = _session(resident, hub, boosted=False)
    session.target_soc_kwh = Decimal("20")  # already there
    session.save()
    client.force_login(resident)
    response = client.post(reverse("energy:session_boost", args=[session.pk]))
    assert response.status_code == 400
    assert "already holds the charge you asked for" in response.content.decode()
    charging_sessions.charging_session_end(session=session, by=resident)
    response = client.post(reverse("energy:session_boost", args=[session.pk]))
    assert response.status_code == 400
    assert "unplugged already" in response.content.decode()


@pytest.mark.django_db
def test_the_boost_speaks_dutch(client, resident, replans) -> None:
    hub = make_hub()
    session = _session(resident, hub, boosted=False)
    client.force_login(resident)
    url = reverse("energy:session_detail", args=[session.pk])
    html = client.get(url, headers={"Accept-Language": "nl"}).content.decode()
    assert "Nu laden" in html and "Dit kan meer kosten" in html
    session.boost_requested_at = NOW
    session.save()
    html = client.get(url, headers={"Accept-Language": "nl"}).content.decode()
    assert "Nu laden staat aan" in html and "rond 00:57" in html
    assert "Stoppen met nu laden" in html
