"""/metrics: Prometheus text a scraper can parse, for staff or a bearer token only: the hubs'
figures from the database and the web process's HTTP requests (django-prometheus). Several
gunicorn workers' requests added up: tests/test_metrics_multiprocess.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_prometheus.exports import ExportToDjangoView
from prometheus_client.parser import text_string_to_metric_families

from energy.models import Charger, DispatchRun, FlexOffer, RunStatus
from sharing.models import BookingStatus
from tests.factories import (
    PASSWORD,
    BayFactory,
    BookingFactory,
    HubFactory,
    SiteFactory,
    current_plan,
)

pytestmark = pytest.mark.django_db
TOKEN = "scrape-" + "x" * 40


def samples(response) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN
    return lambda: samples(client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))


@pytest.fixture
def hub(db):
    hub = HubFactory(slug="wisselspoor")
    SiteFactory(hub=hub)
    return hub


def _run(hub, *, status, seconds=None, fallback=False, minutes_ago=10):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return DispatchRun.objects.create(
        hub=hub,
        status=status,
        horizon_start=at,
        slots=8,
        scenario={},
        created_at=at,
        finished_at=at + timedelta(seconds=seconds or 1),
        solver_seconds=seconds,
        fallback_used=fallback,
    )


def test_dispatch_runs_solve_seconds_fallbacks_and_failures(scrape, hub):
    _run(hub, status=RunStatus.SUCCEEDED, seconds=4.5, minutes_ago=40)
    _run(hub, status=RunStatus.SUCCEEDED, seconds=12.0, fallback=True, minutes_ago=30)
    _run(hub, status=RunStatus.INVALID, seconds=2.0, minutes_ago=20)
    _run(hub, status=RunStatus.FAILED, minutes_ago=10)
    _run(hub, status=RunStatus.FAILED, minutes_ago=60 * 25)  # outside the 24-hour window

    got = scrape()

    w = (("hub", "wisselspoor"),)
    assert got[("wisselstroom_dispatch_solve_seconds", w)] == 2.0  # the latest finished solve
    assert got[("wisselstroom_dispatch_solve_seconds_max", w)] == 12.0
    assert got[("wisselstroom_dispatch_fallback_runs", w)] == 1
    runs = {s: got[("wisselstroom_dispatch_runs", (*w, ("status", s)))] for s in RunStatus.values}
    assert runs == {"running": 0, "succeeded": 2, "invalid": 1, "failed": 1}


def test_plan_age_per_hub_and_hubs_without_a_live_plan(scrape, hub):
    run = current_plan(hub, start=timezone.now())
    run.finished_at = timezone.now() - timedelta(minutes=20)
    run.save()
    SiteFactory(hub=HubFactory(slug="nieuwbouw"))  # planned, but no plan yet

    got = scrape()

    age = got[("wisselstroom_plan_age_seconds", (("hub", "wisselspoor"),))]
    assert 20 * 60 <= age < 21 * 60
    assert got[("wisselstroom_plan_live", (("hub", "wisselspoor"),))] == 1
    assert got[("wisselstroom_plan_live", (("hub", "nieuwbouw"),))] == 0
    assert ("wisselstroom_plan_age_seconds", (("hub", "nieuwbouw"),)) not in got


def test_connected_chargers(scrape, hub):
    for n, status in enumerate(["available", "occupied", "offline", "faulted"]):
        Charger.objects.create(
            bay=BayFactory.create(hub=hub),
            ocpp_id=f"WS-{n}",
            ac_charge_kw=Decimal(11),
            status=status,
        )

    got = scrape()

    w = (("hub", "wisselspoor"),)
    assert got[("wisselstroom_chargers_connected", w)] == 3
    assert got[("wisselstroom_chargers", (*w, ("status", "offline")))] == 1
    assert got[("wisselstroom_chargers", (*w, ("status", "unavailable")))] == 0


def test_open_flexibility_counts_only_slots_to_come(scrape, hub):
    now = timezone.now()

    def offer(minutes, status, up, down):
        FlexOffer.objects.create(
            hub=hub,
            start=now + timedelta(minutes=minutes),
            up_kw=Decimal(up),
            down_kw=Decimal(down),
            up_eur_per_kw=Decimal("0.01"),
            down_eur_per_kw=Decimal("0.01"),
            status=status,
        )

    offer(15, "draft", 5, 2)
    offer(30, "draft", 5, 2)
    offer(45, "offered", 3, 1)
    offer(60, "expired", 100, 100)
    offer(-15, "draft", 100, 100)  # already begun

    got = scrape()

    w = ("hub", "wisselspoor")
    assert got[("wisselstroom_flex_open_kw", (("direction", "up"), w, ("status", "draft")))] == 10
    assert got[("wisselstroom_flex_open_kw", (("direction", "down"), w, ("status", "draft")))] == 4
    assert got[("wisselstroom_flex_open_kw", (("direction", "up"), w, ("status", "offered")))] == 3
    assert got[("wisselstroom_flex_open_slots", (w, ("status", "draft")))] == 2


def test_bookings_per_status(scrape, hub, resident):
    BookingFactory(hub=hub, resident=resident, status=BookingStatus.CONFIRMED)
    later = timezone.now() + timedelta(days=1)
    BookingFactory(hub=hub, resident=resident, status=BookingStatus.CANCELLED, start=later)

    got = scrape()

    w = ("hub", "wisselspoor")
    assert got[("wisselstroom_bookings", (w, ("status", "confirmed")))] == 1
    assert got[("wisselstroom_bookings", (w, ("status", "cancelled")))] == 1
    assert got[("wisselstroom_bookings", (w, ("status", "no_show")))] == 0


def test_staff_may_read_the_metrics(client, fleet_admin):
    client.force_login(fleet_admin)

    assert "wisselstroom_bookings" in client.get("/metrics").content.decode()


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
def test_anyone_else_is_refused(client, settings, resident, authorization):
    settings.METRICS_TOKEN = TOKEN
    client.force_login(resident)  # a resident, not staff
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = client.get("/metrics", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"wisselstroom_" not in response.content
    assert b"django_http_" not in response.content


def test_no_token_configured_accepts_no_bearer(client, settings):
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


RESPONSES = "django_http_responses_total_by_status_view_method_total"
REQUESTS = "django_http_requests_total_by_view_transport_method_total"
LATENCY = "django_http_requests_latency_seconds_by_view_method_count"


def _responses(got, view, status, method="GET"):
    labels = (("method", method), ("status", str(status)), ("view", view))
    return got.get((RESPONSES, labels), 0)


def test_requests_are_counted_by_view_method_and_status(scrape, client):
    before = scrape()
    for _ in range(3):
        assert client.get("/api/", HTTP_ACCEPT="application/json").status_code == 200
    client.get("/metrics")  # no token: refused, and counted as such

    got = scrape()

    assert _responses(got, "api-root", 200) - _responses(before, "api-root", 200) == 3
    api_root = (("method", "GET"), ("transport", "http"), ("view", "api-root"))
    assert got[(REQUESTS, api_root)] - before.get((REQUESTS, api_root), 0) == 3
    timed = (("method", "GET"), ("view", "api-root"))
    assert got[(LATENCY, timed)] - before.get((LATENCY, timed), 0) == 3
    assert _responses(got, "metrics", 401) - _responses(before, "metrics", 401) == 1


def test_a_locked_out_log_in_is_counted_with_the_status_the_client_got(scrape, client, resident):
    """axes swaps the login page for its lockout page outside the counting middleware."""
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": resident.email, "password": "no"})
    before = scrape()

    response = client.post(
        reverse("accounts:login"), {"username": resident.email, "password": PASSWORD}
    )

    assert response.status_code == 429
    locked_out = _responses(scrape(), "accounts:login", 429, "POST")
    assert locked_out - _responses(before, "accounts:login", 429, "POST") == 1


def test_django_prometheus_serves_no_metrics_url_of_its_own():
    def callbacks(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from callbacks(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield pattern.callback

    assert ExportToDjangoView not in set(callbacks(get_resolver().url_patterns))
