"""Settlement of an order from the chargers' meter values: delivered per ISP, and income."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from energy.grid.services import OrderedIsp, RequestedIsp, flex_offers_make, flex_order_accept
from energy.grid.settlement import order_delivery
from energy.models import Charger, ChargerIspPower
from energy.services.chargers import charger_meter_record
from tests.grid.helpers import planned_tomorrow, stedin, tomorrow

pytestmark = pytest.mark.django_db


@pytest.fixture
def ordered(monkeypatch):
    monkeypatch.setattr("energy.grid.services.orders.replan_request", lambda **kw: None)
    operator = stedin()
    hub = planned_tomorrow(operator)  # the car charges 3 kW in every slot of the baseline
    (offer,) = flex_offers_make(
        hub=hub,
        buyer=operator,
        period=tomorrow(hub),
        isps=[RequestedIsp(i, -4000, -1000) for i in range(40, 44)],
    )
    return flex_order_accept(
        buyer=operator,
        message_id=str(uuid.uuid4()),
        offer_message_id=str(offer.message_id),
        isps=[OrderedIsp(i, -4000) for i in range(40, 44)],
        price_eur=offer.price_eur,
        source="uftp",
        order_reference="DSO-9",
    ).order


def meter(hub, start, kw):
    charger = Charger.objects.filter(bay__hub=hub)[0]
    ChargerIspPower.objects.create(
        charger=charger, hub=hub, start=start, power_sum_kw=kw * 2, samples=2
    )


def test_delivered_deviation_per_isp_and_income(ordered):
    hub = ordered.offer.hub
    starts = {s.isp: s.start for s in ordered.slots.all()}
    meter(hub, starts[40], -1.0)  # 3 kW planned, -1 kW fed back: 4 kW less import, all of it
    meter(hub, starts[41], 1.0)  # 2 kW less: half
    meter(hub, starts[43], 5.0)  # the wrong way: nothing (ISP 42 has no reading: nothing)
    after = starts[43] + timedelta(hours=1)
    delivery = order_delivery(ordered, now=after)
    rows = {i.isp: i for i in delivery.isps}
    assert rows[40].measured_w == -2000 - 3000 - 1000 and rows[40].delivered_w == -4000
    assert (rows[40].deficiency_w, rows[41].deficiency_w) == (0, 2000)
    assert rows[42].measured_w is None and rows[42].deficiency_w == 4000
    assert rows[43].delivered_w == 2000 and rows[43].deficiency_w == 4000
    assert delivery.delivered_share == Decimal("0.375")
    assert delivery.income_eur == (ordered.price_eur * Decimal("0.375")).quantize(Decimal("0.0001"))
    # before the ISPs are over nothing is settled, so nothing is earned yet
    assert order_delivery(ordered, now=starts[40]).income_eur == 0


def test_charger_meter_values_are_kept_per_isp(ordered):
    charger = Charger.objects.filter(bay__hub=ordered.offer.hub)[0]
    charger_meter_record(ocpp_id=charger.ocpp_id, power_kw=4.0)
    charger_meter_record(ocpp_id=charger.ocpp_id, power_kw=2.0)
    (row,) = ChargerIspPower.objects.filter(charger=charger)
    assert row.samples == 2 and row.mean_kw == pytest.approx(3.0)


def test_the_monthly_reports_show_orders_delivery_and_income(ordered, admin_client):
    hub = ordered.offer.hub
    starts = {s.isp: s.start for s in ordered.slots.all()}
    for isp in range(40, 44):
        meter(hub, starts[isp], -1.0)  # all delivered (settled once the ISPs are over)
    month = f"{ordered.offer.period:%Y-%m}"
    response = admin_client.get(reverse("admin:energy_gridorder_settlement"), {"month": month})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["isp"] for r in rows] == ["40", "41", "42", "43"]
    assert {r["delivered_w"] for r in rows} == {"-4000"}
    assert rows[0]["order_reference"] == "DSO-9" and rows[0]["buyer"].startswith("Stedin")

    energy = admin_client.get(reverse("admin:energy_dispatchrun_energy_report"), {"month": month})
    (line,) = csv.DictReader(io.StringIO(b"".join(energy.streaming_content).decode()))
    assert "grid_orders_income_eur" in line
    assert admin_client.get(reverse("admin:energy_gridorder_changelist")).status_code == 200
    assert (
        admin_client.get(
            reverse("admin:energy_gridorder_settlement"), {"month": "13-2026"}
        ).status_code
        == 200
    )
