"""The plugged-in car's live card: kW now, charge now, charge expected at departure, the floor."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from energy.selectors import session_live, session_plan
from tests.factories import (
    BayFactory,
    ChargingSessionFactory,
    HubFactory,
    PrivateCarFactory,
    SiteFactory,
    current_plan,
)

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 18, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def session(resident):
    hub = HubFactory(slug="zonnehof", name="Zonnehof")
    SiteFactory(hub=hub)
    car = PrivateCarFactory(owner=resident, battery_kwh=60, floor_kwh=10)
    return ChargingSessionFactory(
        car=car, bay=BayFactory(hub=hub, label="P1"), departure_at=NOW + timedelta(hours=12)
    )


def test_live_figures_come_from_the_current_plan(session):
    current_plan(session.bay.hub, start=NOW, slots=4, sessions=[session], power_kw=4.0)
    live = session_live(session=session, plan=session_plan(session=session))
    assert live.power_kw == 4.0
    assert live.soc_kwh == 20 and live.soc_percent == 33
    assert live.departure_kwh == 24 and live.departure_percent == 40  # 23 kWh + one more slot
    assert live.floor_kwh == 10 and live.floor_percent == 17


def test_without_a_plan_the_card_says_so(client, resident, session):
    client.force_login(resident)
    html = client.get(reverse("energy:session_detail", args=[session.pk])).content.decode()
    live = html.split('id="session-live"', 1)[1].split("</section>", 1)[0]
    assert "no plan for this quarter hour yet" in live and "17 %" in live


def test_the_card_refreshes_itself_and_shows_feeding_back(client, resident, session):
    current_plan(session.bay.hub, start=NOW, slots=4, sessions=[session], power_kw=-3.0)
    client.force_login(resident)
    html = client.get(reverse("energy:session_detail", args=[session.pk])).content.decode()
    live = html.split('id="session-live"', 1)[1].split("</section>", 1)[0]
    assert 'hx-trigger="every 60s"' in live and 'hx-select="#session-live"' in live
    assert "-3.0 kW" in live and "feeding back now" in live
    fragment = client.get(
        reverse("energy:session_detail", args=[session.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert 'id="session-live"' in fragment and "<html" not in fragment


def test_the_live_card_in_dutch(client, resident, session):
    current_plan(session.bay.hub, start=NOW, slots=4, sessions=[session], power_kw=4.0)
    client.force_login(resident)
    html = client.get(
        reverse("energy:session_detail", args=[session.pk]), headers={"accept-language": "nl"}
    ).content.decode()
    assert "Nu" in html and "4,0 kW" in html and "nu aan het laden" in html
