"""The site meter: its own token, its own hub only, readings kept once per time, a CSV import,
and the settlement measuring from it where it reports."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from energy.grid.services import (
    OrderedIsp,
    RequestedIsp,
    aggregator_token_issue,
    flex_offers_make,
    flex_order_accept,
    site_meter_token_issue,
)
from energy.grid.settlement import order_delivery
from energy.models import (
    Aggregator,
    Charger,
    ChargerIspPower,
    SiteIspPower,
    SiteMeter,
    SiteMeterReading,
)
from tests.energy.conftest import make_hub
from tests.grid.helpers import database_url, planned_tomorrow, stedin, tomorrow

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


@pytest.fixture
def hub():
    return make_hub("wisselspoor", cars=1)


@pytest.fixture
def meter(hub):
    return SiteMeter.objects.create(hub=hub, name="P1 meter")


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def api(meter):
    return client_with(site_meter_token_issue(meter=meter))


def post(api, hub, readings):
    return api.post(
        reverse("api-grid-site-meter-readings", args=[hub.slug]),
        {"readings": readings},
        format="json",
    )


def readings(n=3, start=T0, kw=4.0):
    return [
        {"at": (start + timedelta(seconds=10 * i)).isoformat(), "net_kw": kw + i} for i in range(n)
    ]


def test_readings_are_summed_per_isp_and_kept_once_per_time(api, hub, meter):
    first = post(api, hub, readings(3))
    assert first.status_code == 200, first.json()
    assert first.json() == {"hub": hub.slug, "received": 3, "recorded": 3, "already_known": 0}
    (isp,) = SiteIspPower.objects.filter(hub=hub)
    assert isp.start == T0 and isp.samples == 3 and isp.mean_kw == pytest.approx(5.0)

    # The meter resends the batch (its answer was lost) with one new reading: only that counts.
    again = post(api, hub, readings(4))
    assert again.json() | {"hub": None} == {
        "hub": None,
        "received": 4,
        "recorded": 1,
        "already_known": 3,
    }
    isp.refresh_from_db()
    assert isp.samples == 4 and isp.mean_kw == pytest.approx(5.5)
    assert SiteMeterReading.objects.filter(hub=hub).count() == 4
    meter.refresh_from_db()
    assert meter.last_reading_at == T0 + timedelta(seconds=30)


def test_only_a_site_meter_token_is_accepted(hub, meter, resident):
    url = reverse("api-grid-site-meter-readings", args=[hub.slug])
    body = {"readings": readings(1)}
    assert APIClient().post(url, body, format="json").status_code == 401
    resident_token = Token.objects.create(user=resident).key
    assert client_with(resident_token).post(url, body, format="json").status_code == 401
    aggregator = Aggregator.objects.create(name="FlexCo")
    aggregator.hubs.add(hub)
    aggregator_token = aggregator_token_issue(aggregator=aggregator)
    assert client_with(aggregator_token).post(url, body, format="json").status_code == 401
    token = site_meter_token_issue(meter=meter)
    SiteMeter.objects.filter(pk=meter.pk).update(active=False)
    refused = client_with(token).post(url, body, format="json")
    assert refused.status_code == 401 and refused.json() == {"detail": "Invalid token."}
    assert not SiteMeterReading.objects.exists()


def test_a_meter_cannot_write_another_hubs_readings(api, hub):
    other = make_hub("elsewhere", cars=1)
    SiteMeter.objects.create(hub=other)
    answer = post(api, other, readings(2))
    assert answer.status_code == 404
    assert not SiteMeterReading.objects.exists() and not SiteIspPower.objects.exists()


@pytest.mark.parametrize(
    ("reading", "field", "says"),
    [
        ({"at": "2026-03-02T11:00:00", "net_kw": 1.0}, "readings[1].at", "UTC offset"),
        ({"at": "yesterday", "net_kw": 1.0}, "readings[1].at", "format"),
        ({"at": "2999-01-01T00:00:00Z", "net_kw": 1.0}, "readings[1].non_field_errors", "future"),
        ({"at": "2026-03-02T11:00:00Z", "net_kw": 1e9}, "readings[1].net_kw", "less than"),
        ({"at": "2026-03-02T11:00:00Z", "net_kw": "NaN"}, "readings[1]", ""),
        ({"at": "2026-03-02T11:00:00Z"}, "readings[1].net_kw", "required"),
    ],
)
def test_a_bad_reading_refuses_the_batch_and_names_it(api, hub, reading, field, says):
    answer = post(api, hub, [readings(1)[0], reading])
    assert answer.status_code == 400
    errors = answer.json()
    assert any(key.startswith(field) for key in errors), errors
    assert all(isinstance(m, str) for messages in errors.values() for m in messages)
    assert says in " ".join(m for k, v in errors.items() if k.startswith(field) for m in v)
    assert not SiteMeterReading.objects.exists()


def test_an_empty_or_contradicting_batch_is_refused(api, hub):
    assert post(api, hub, []).status_code == 400
    at = T0.isoformat()
    twice = post(api, hub, [{"at": at, "net_kw": 1.0}, {"at": at, "net_kw": 2.0}])
    assert twice.status_code == 400
    assert "another value" in twice.json()["readings"][0]
    assert not SiteMeterReading.objects.exists()


def _manage(*args: str) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, on the test database where it is a server's (a
    fresh machine's default database has no tables)."""
    env = dict(os.environ)
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = database_url()
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_the_import_command_refuses_bad_input_with_exit_2_and_one_line(tmp_path):
    # A process of its own (its database is not the test's: bad input never reaches it).
    bad = tmp_path / "meter.csv"
    bad.write_text("at,net_kw\n2026-03-02T11:00:00+01:00,3.5\n2026-03-02T11:00:10+01:00,lots\n")
    result = _manage("import_site_meter", "--hub", "wisselspoor", str(bad))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0 and "line 3" in result.stderr
    assert "Traceback" not in result.stderr
    naive = tmp_path / "naive.csv"
    naive.write_text("at,net_kw\n2026-03-02T11:00:00,3.5\n")
    result = _manage("import_site_meter", "--hub", "wisselspoor", str(naive))
    assert result.returncode == 2 and "UTC offset" in result.stderr
    good = tmp_path / "good.csv"
    good.write_text("at,net_kw\n2026-03-02T12:00:00+01:00,3.5\n")
    for args in (["--hub", "no-such-hub", str(good)], ["--hub", "x", str(tmp_path / "no.csv")]):
        result = _manage("import_site_meter", *args)
        assert result.returncode == 2 and result.stderr.strip().count("\n") == 0, result.stderr


def test_the_import_command_keeps_each_reading_once(tmp_path, hub):
    good = tmp_path / "good.csv"
    good.write_text("at,net_kw\n2026-03-02T12:00:00+01:00,3.5\n2026-03-02T12:00:10+01:00,4.5\n")
    out = io.StringIO()
    call_command("import_site_meter", "--hub", hub.slug, str(good), stdout=out)
    assert "Imported 2 readings" in out.getvalue()
    call_command("import_site_meter", "--hub", hub.slug, str(good), stdout=out)
    assert "Imported 0 readings for wisselspoor (2 already known)" in out.getvalue()
    (isp,) = SiteIspPower.objects.filter(hub=hub)
    assert isp.start == T0 and isp.samples == 2 and isp.mean_kw == pytest.approx(4.0)


@pytest.fixture
def ordered(monkeypatch):
    monkeypatch.setattr("energy.grid.services.orders.replan_request", lambda **kw: None)
    operator = stedin()
    hub = planned_tomorrow(operator)  # baseline -2 kW per ISP, the car charging 3 kW of it
    (offer,) = flex_offers_make(
        hub=hub,
        buyer=operator,
        period=tomorrow(hub),
        isps=[RequestedIsp(i, -4000, -1000) for i in range(40, 43)],
    )
    return flex_order_accept(
        buyer=operator,
        message_id=str(uuid.uuid4()),
        offer_message_id=str(offer.message_id),
        isps=[OrderedIsp(i, -4000) for i in range(40, 43)],
        price_eur=offer.price_eur,
        source="uftp",
        order_reference="DSO-9",
    ).order


def test_settlement_measures_from_the_site_meter_where_it_reports(ordered, admin_client):
    hub = ordered.offer.hub
    starts = {s.isp: s.start for s in ordered.slots.all()}
    charger = Charger.objects.filter(bay__hub=hub)[0]
    for isp in (40, 41):  # the chargers say all of it was delivered (-1 kW instead of 3 kW)
        ChargerIspPower.objects.create(
            charger=charger, hub=hub, start=starts[isp], power_sum_kw=-1.0, samples=1
        )
    # ISP 40: the site meter saw the homes draw more than forecast: only 3 kW less import
    SiteIspPower.objects.create(hub=hub, start=starts[40], power_sum_kw=-10.0, samples=2)
    # ISP 42: only the site meter reports, 4 kW less import than the baseline of -2 kW
    SiteIspPower.objects.create(hub=hub, start=starts[42], power_sum_kw=-6.0, samples=1)
    rows = {i.isp: i for i in order_delivery(ordered, now=starts[42] + timedelta(hours=1)).isps}
    assert (rows[40].source, rows[40].measured_w, rows[40].delivered_w) == (
        "site_meter",
        -5000,
        -3000,
    )
    assert (rows[40].deficiency_w, rows[41].source, rows[41].measured_w) == (
        1000,
        "chargers",
        -6000,
    )
    assert (rows[42].source, rows[42].delivered_w, rows[42].deficiency_w) == (
        "site_meter",
        -4000,
        0,
    )

    month = f"{ordered.offer.period:%Y-%m}"
    response = admin_client.get(reverse("admin:energy_gridorder_settlement"), {"month": month})
    lines = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["isp"], r["measured_by"]) for r in lines] == [
        ("40", "site_meter"),
        ("41", "chargers"),
        ("42", "site_meter"),
    ]
    page = admin_client.get(reverse("admin:energy_gridorder_change", args=[ordered.pk]))
    assert b"site meter" in page.content and b"chargers" in page.content
