"""The admin's grid day per hub (baseline, offered band, ordered deviation, measured net) reads
the measured net from the same selector as the settlement: the site meter where it reported,
the chargers otherwise, and says which."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from energy.grid.day import PLAN, grid_day
from energy.grid.services import OrderedIsp, RequestedIsp, flex_offers_make, flex_order_accept
from energy.grid.settlement import order_delivery
from energy.models import Charger, ChargerIspPower, SiteIspPower
from tests.grid.helpers import planned_tomorrow, stedin, tomorrow

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(monkeypatch):
    """4 kW less import ordered in ISPs 40-42 of tomorrow; an offer of 1 kW more in ISP 60."""
    monkeypatch.setattr("energy.grid.services.orders.replan_request", lambda **kw: None)
    operator = stedin()
    hub = planned_tomorrow(operator)  # baseline -2 kW per ISP, the car charging 3 kW of it
    day = tomorrow(hub)
    (offer,) = flex_offers_make(
        hub=hub,
        buyer=operator,
        period=day,
        isps=[RequestedIsp(i, -4000, -1000) for i in (40, 41, 42)],
    )
    flex_offers_make(hub=hub, buyer=operator, period=day, isps=[RequestedIsp(60, 1000, 1000)])
    return flex_order_accept(
        buyer=operator,
        message_id=str(uuid.uuid4()),
        offer_message_id=str(offer.message_id),
        isps=[OrderedIsp(i, -4000) for i in (40, 41, 42)],
        price_eur=offer.price_eur,
        source="uftp",
        order_reference="DSO-9",
    ).order


@pytest.fixture
def metered(order):
    """ISP 40: site meter and chargers (the site meter wins); 41: chargers only; 42: nothing;
    ISP 50 (not ordered): the site meter only."""
    hub = order.offer.hub
    starts = {s.isp: s.start for s in order.slots.all()}
    charger = Charger.objects.filter(bay__hub=hub)[0]
    for isp in (40, 41):
        ChargerIspPower.objects.create(
            charger=charger, hub=hub, start=starts[isp], power_sum_kw=-1.0, samples=1
        )
    SiteIspPower.objects.create(hub=hub, start=starts[40], power_sum_kw=-10.0, samples=2)
    SiteIspPower.objects.create(
        hub=hub, start=starts[40] + 10 * timedelta(minutes=15), power_sum_kw=1.5, samples=1
    )
    return order


def test_the_day_measures_where_the_settlement_does_and_says_by_what(metered):
    hub = metered.offer.hub
    period = tomorrow(hub)
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        day = grid_day(hub=hub, day=period)
        settled = {i.isp: i for i in order_delivery(metered).isps}
    rows = {i.isp: i for i in day.isps}
    assert day.baseline_from == PLAN
    assert rows[40].baseline_w == -2000 and rows[40].ordered_w == -4000
    assert (rows[40].measured_w, rows[40].measured_by) == (-5000, "site_meter")
    assert (rows[41].measured_w, rows[41].measured_by) == (-6000, "chargers")
    assert (rows[42].measured_w, rows[42].measured_by) == (None, "")
    assert (rows[50].measured_w, rows[50].measured_by, rows[50].ordered_w) == (
        1500,
        "site_meter",
        0,
    )
    for isp in (40, 41, 42):  # one reading of the meters: the chart and the settlement agree
        assert (rows[isp].measured_w, rows[isp].measured_by) == (
            settled[isp].measured_w,
            settled[isp].source,
        )
    assert rows[40].offered_up_w == 4000 and rows[60].offered_down_w == 1000
    assert day.measured_by == ["site_meter", "chargers"]


def test_an_isp_not_over_yet_is_not_measured(metered):
    hub = metered.offer.hub
    rows = {i.isp: i for i in grid_day(hub=hub, day=tomorrow(hub)).isps}
    assert rows[40].measured_w is None and rows[40].measured_by == ""


def test_the_admin_draws_the_day_and_names_the_meter(metered, client, fleet_admin):
    hub = metered.offer.hub
    client.force_login(fleet_admin)
    url = reverse("admin:energy_gridorder_day")
    assert client.get(url).status_code == 200  # the form alone
    period = tomorrow(hub)
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        page = client.get(url, {"hub": hub.pk, "day": period.isoformat()})
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "measured net (kW)" in html
    assert "Measured net from: site meter, chargers." in html
    assert "<td>-5000</td>\n        <td>site meter</td>" in html
    changelist = client.get(reverse("admin:energy_gridorder_changelist")).content.decode()
    assert url in changelist
