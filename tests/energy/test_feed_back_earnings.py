"""What feeding back earned, in EUR, for a resident's own car: per quarter hour metered (else
as planned) x (day-ahead export price + the site's wear allowance), stored when unplugged, and
shown on My car for the resident's own cars only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from energy.grid.models import ChargerIspPower
from energy.models import Charger, ChargingSession, PriceSlot, SessionStatus
from energy.selectors import feed_back_earnings, feed_back_rate, session_feed_back_earning
from energy.services.charging_sessions import charging_session_end
from tests.factories import (
    BayFactory,
    ChargingSessionFactory,
    HubFactory,
    PrivateCarFactory,
    SiteFactory,
    current_plan,
)

NOW = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 18:00 in Amsterdam
Q = timedelta(minutes=15)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def no_replans(monkeypatch):
    monkeypatch.setattr("energy.services.charging_sessions.replan_request", lambda **kw: None)


@pytest.fixture
def site(db):
    return SiteFactory(hub=HubFactory(slug="zonnehof", name="Zonnehof"))


@pytest.fixture
def bay(site):
    bay = BayFactory.create(hub=site.hub, label="P1")
    Charger.objects.create(bay=bay, ocpp_id="zonnehof-P1", ac_charge_kw=11, ac_discharge_kw=11)
    return bay


@pytest.fixture
def session(resident, bay):
    car = PrivateCarFactory(owner=resident, plate="AB-123-C")
    return ChargingSessionFactory(car=car, bay=bay, plugged_in_at=NOW - 3 * Q * 4)


def prices(start, *eur_per_kwh):
    for n, price in enumerate(eur_per_kwh):
        PriceSlot.objects.create(
            start=start + n * Q, day_ahead_eur_per_kwh=Decimal(price), source="test"
        )


def test_the_rate_is_the_export_price_never_below_zero_plus_wear(site):
    site.export_price_factor = Decimal("0.900")
    site.degradation_eur_per_kwh = Decimal("0.04000")
    assert feed_back_rate(site=site, day_ahead_eur_per_kwh=Decimal("0.25")) == Decimal(
        "0.265"
    )  # 0.25 x 0.9 + 0.04, exactly
    assert feed_back_rate(site=site, day_ahead_eur_per_kwh=Decimal("-0.10")) == Decimal("0.04")
    assert feed_back_rate(site=site, day_ahead_eur_per_kwh=None) == Decimal("0.04")


def test_planned_feed_back_is_priced_per_quarter_hour_in_decimal(session, site):
    start = NOW - 2 * timedelta(hours=1)
    # One run began at each of four quarter hours and fed back 4 kW there: 1 kWh each.
    for n in range(4):
        current_plan(site.hub, start=start + n * Q, slots=1, sessions=[session], power_kw=-4.0)
    prices(start, "0.10", "0.20", "-0.05")  # the fourth quarter hour has no price
    earning = session_feed_back_earning(session=session, until=NOW)
    assert earning.kwh == Decimal("4.000")
    # (0.10 + 0.04) + (0.20 + 0.04) + (0 + 0.04) + 0.04 = 0.46
    assert earning.eur == Decimal("0.46")
    assert isinstance(earning.eur, Decimal)
    assert [s.metered for s in earning.slots] == [False] * 4


def test_metered_power_beats_the_plan_and_charging_earns_nothing(session, site, bay):
    start = NOW - timedelta(hours=1)
    current_plan(site.hub, start=start, slots=1, sessions=[session], power_kw=-4.0)
    current_plan(site.hub, start=start + Q, slots=1, sessions=[session], power_kw=-4.0)
    charger = Charger.objects.get(bay=bay)
    # The charger metered 6.2 kW out in the first quarter hour and charged in the second.
    ChargerIspPower.objects.create(
        charger=charger, hub=site.hub, start=start, power_sum_kw=-12.4, samples=2
    )
    ChargerIspPower.objects.create(
        charger=charger, hub=site.hub, start=start + Q, power_sum_kw=3.0, samples=1
    )
    prices(start, "0.333")
    earning = session_feed_back_earning(session=session, until=NOW)
    assert earning.kwh == Decimal("1.550")  # 6.2 kW x 0.25 h
    assert earning.eur == Decimal("0.58")  # 1.55 x (0.333 + 0.04) = 0.57815
    assert earning.slots[0].metered


def test_unplugging_stores_kwh_and_eur(client, resident, session, site):
    start = NOW - timedelta(hours=1)
    current_plan(site.hub, start=start, slots=1, sessions=[session], power_kw=-8.0)
    prices(start, "0.125")
    charging_session_end(session=session, by=resident)
    session.refresh_from_db()
    assert session.status == SessionStatus.ENDED
    assert session.energy_fed_back_kwh == Decimal("2.000")
    assert session.fed_back_eur == Decimal("0.33")  # 2 x 0.165


def test_a_session_that_never_fed_back_earns_zero(resident, session):
    charging_session_end(session=session, by=resident)
    session.refresh_from_db()
    assert session.energy_fed_back_kwh == Decimal("0") and session.fed_back_eur == Decimal("0")


def ended(car, bay, *, at, kwh, eur):
    return ChargingSessionFactory(
        car=car, bay=bay, status=SessionStatus.ENDED, plugged_in_at=at - timedelta(hours=5),
        ended_at=at, energy_fed_back_kwh=Decimal(kwh),
        fed_back_eur=None if eur is None else Decimal(eur),
    )  # fmt: skip


def test_this_months_and_the_last_sessions_figures(resident, neighbour, bay):
    car = PrivateCarFactory(owner=resident, plate="AB-123-C")
    ended(car, bay, at=datetime(2026, 2, 28, 22, 30, tzinfo=UTC), kwh="9", eur="2.00")  # Feb
    ended(car, bay, at=datetime(2026, 2, 28, 23, 30, tzinfo=UTC), kwh="1.5", eur="0.31")  # 1 Mar
    last = ended(car, bay, at=NOW - timedelta(hours=2), kwh="2.25", eur="0.47")
    ended(PrivateCarFactory(owner=neighbour), bay, at=NOW, kwh="50", eur="9.99")
    figures = feed_back_earnings(user=resident)
    assert figures.month_kwh == Decimal("3.750")
    assert figures.month_eur == Decimal("0.78")
    assert figures.month_sessions == 2
    assert figures.last == last
    assert not figures.unpriced


def test_my_car_page_shows_month_last_and_each_session(client, resident, neighbour, bay):
    car = PrivateCarFactory(owner=resident, plate="AB-123-C")
    ended(car, bay, at=NOW - timedelta(days=1), kwh="4.5", eur="1.20")
    ended(car, bay, at=NOW - timedelta(hours=2), kwh="2.25", eur="0.47")
    ended(car, bay, at=NOW - timedelta(days=2), kwh="3", eur=None)  # before earnings were kept
    ended(PrivateCarFactory(owner=neighbour, plate="BOB-1"), bay, at=NOW, kwh="50", eur="9.99")
    client.force_login(resident)
    html = client.get(reverse("energy:my_car")).content.decode()
    assert '<span class="figure" id="earned-month">€&nbsp;1.67</span>' in html
    assert "earned in March 2026: 9.8 kWh fed back in 3 sessions" in html
    assert '<span class="figure" id="earned-last">€&nbsp;0.47</span>' in html
    assert "your last session (AB-123-C, unplugged" in html and "2.3 kWh fed back" in html
    assert '<td class="session-earned">1.20</td>' in html
    assert '<td class="session-earned">\u2013</td>' in html  # a dash
    assert "Sessions that ended before earnings were kept show a dash." in html
    assert "9.99" not in html and "BOB-1" not in html


def test_my_car_in_dutch(client, resident, bay):
    car = PrivateCarFactory(owner=resident, plate="AB-123-C")
    ended(car, bay, at=NOW - timedelta(hours=2), kwh="2.25", eur="0.47")
    client.force_login(resident)
    html = client.get(reverse("energy:my_car"), headers={"accept-language": "nl"}).content.decode()
    assert '<span class="figure" id="earned-month">€&nbsp;0,47</span>' in html


def test_another_households_ended_session_is_a_404(client, resident, neighbour, bay):
    mine = ended(
        PrivateCarFactory(owner=resident), bay, at=NOW - timedelta(hours=1), kwh="2", eur="0.40"
    )
    client.force_login(resident)
    html = client.get(reverse("energy:session_detail", args=[mine.pk])).content.decode()
    assert 'id="session-earned"' in html and "€&nbsp;0.40" in html
    client.force_login(neighbour)
    assert client.get(reverse("energy:session_detail", args=[mine.pk])).status_code == 404
    figures = feed_back_earnings(user=neighbour)
    assert figures.month_eur == Decimal("0") and figures.last is None
    assert ChargingSession.objects.filter(car__owner=neighbour).count() == 0
