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


def test_never_below_a_percentage_is_kept_as_kwh(client, resident, session):
    session.car.may_feed_back = True
    session.car.save()
    session.allow_feed_back = True
    session.save()
    from accounts.models import Consent, ConsentKind

    Consent.objects.create(user=resident, kind=ConsentKind.FEED_BACK, granted=True)
    client.force_login(resident)
    url = reverse("energy:session_floor", args=[session.pk])
    response = client.post(url, {"floor_percent": "40"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.feed_back_floor_kwh == 24  # 40 % of 60 kWh
    html = client.get(reverse("energy:session_detail", args=[session.pk])).content.decode()
    assert "40 %" in html and 'value="40"' in html


@pytest.mark.parametrize(
    ("value", "message"),
    [("150", "less than or equal to 100"), ("abc", "Enter a whole number."), ("", "required")],
)
def test_a_bad_floor_is_a_400_that_keeps_what_was_typed(client, resident, session, value, message):
    client.force_login(resident)
    response = client.post(
        reverse("energy:session_floor", args=[session.pk]), {"floor_percent": value}
    )
    html = response.content.decode()
    assert response.status_code == 400 and message in html
    if value:
        assert f'value="{value}"' in html


def test_a_floor_under_the_cars_own_is_refused_on_the_field(client, resident, session):
    from accounts.models import Consent, ConsentKind

    Consent.objects.create(user=resident, kind=ConsentKind.FEED_BACK, granted=True)
    session.car.may_feed_back = True
    session.car.save()
    session.allow_feed_back = True
    session.feed_back_floor_kwh = 20
    session.save()
    client.force_login(resident)
    response = client.post(
        reverse("energy:session_floor", args=[session.pk]), {"floor_percent": "5"}
    )
    floor_errors = response.content.decode().split('id="floor_percent-errors"', 1)[1]
    assert response.status_code == 400 and "never goes below 10" in floor_errors.split("</div>")[0]
    session.refresh_from_db()
    assert session.feed_back_floor_kwh == 20


def test_another_resident_cannot_set_the_floor(client, neighbour, session):
    client.force_login(neighbour)
    url = reverse("energy:session_floor", args=[session.pk])
    assert client.post(url, {"floor_percent": "50"}).status_code == 404
