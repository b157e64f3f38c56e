"""/healthz: each check healthy and unhealthy, and never a hung probe."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from config import health
from config.celery import app
from tests.factories import HubFactory, SiteFactory, current_plan

pytestmark = pytest.mark.django_db
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(autouse=True)
def _no_remembered_ping():
    health.worker_ping.forget()
    yield
    health.worker_ping.forget()


def get(client, **headers):
    response = client.get("/healthz", **headers)
    return response.status_code, response.json()


def test_all_healthy_with_nothing_but_the_database(client):
    status, body = get(client)

    assert status == 200
    assert body["status"] == "ok"
    assert body["problems"] == []
    assert body["redis"] == "not configured"
    assert body["worker"] == "in-process"  # no broker: tasks run in the web process


def test_answers_any_host_and_plain_http_for_probes_from_inside(client, settings):
    settings.ALLOWED_HOSTS = ["hub.example.org"]
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/healthz/live", HTTP_HOST="10.0.0.7:8000").json() == {"status": "ok"}
    assert client.get("/", HTTP_HOST="10.0.0.7:8000").status_code == 400  # everything else


# --- who sees what failed ----------------------------------------------------------------------


@pytest.fixture
def dead_database(monkeypatch):
    monkeypatch.setattr(health, "connection", _DeadConnection())


def test_the_public_sees_the_status_but_not_what_failed(client, dead_database):
    response = client.get("/healthz", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 503
    assert response.json() == {"status": "unhealthy"}
    assert "10.0.0.5" not in response.content.decode()


def test_a_request_through_a_proxy_sees_only_the_status(client, dead_database):
    response = client.get("/healthz", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert response.status_code == 503
    assert response.json() == {"status": "unhealthy"}


def test_a_probe_from_inside_sees_what_failed(client, dead_database):
    for inside in ("127.0.0.1", "10.1.2.3", "::1"):
        body = client.get("/healthz", REMOTE_ADDR=inside).json()
        assert body["problems"][0].startswith("database (postgresql) is unreachable"), inside


def test_the_health_token_shows_what_failed_from_anywhere(client, dead_database, settings):
    settings.HEALTH_TOKEN = "s3cret-probe"

    public = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "198.51.100.4"}
    wrong = client.get("/healthz", HTTP_AUTHORIZATION="Bearer nope", **public).json()
    right = client.get("/healthz", HTTP_AUTHORIZATION="Bearer s3cret-probe", **public).json()

    assert wrong == {"status": "unhealthy"}
    assert right["problems"][0].startswith("database (postgresql) is unreachable")


# --- database --------------------------------------------------------------------------------


class _DeadConnection:
    vendor = "postgresql"

    def cursor(self):
        raise OperationalError('connection to server at "10.0.0.5", port 5432 failed: refused')


def test_an_unreachable_database_is_unhealthy(client, monkeypatch):
    monkeypatch.setattr(health, "connection", _DeadConnection())

    status, body = get(client)

    assert status == 503
    assert body["problems"][0].startswith("database (postgresql) is unreachable")
    assert "plans" not in body  # not read from a database that is not there


# --- redis -----------------------------------------------------------------------------------


@pytest.mark.redis
def test_a_reachable_redis_is_healthy(client, settings):
    settings.REDIS_URL = os.environ["TEST_REDIS_URL"]

    status, body = get(client)

    assert (status, body["redis"]) == (200, "ok")


def test_an_unreachable_redis_is_unhealthy_within_a_second_or_two(client, settings):
    settings.REDIS_URL = CLOSED
    began = time.monotonic()

    status, body = get(client)

    assert time.monotonic() - began < 3
    assert status == 503
    assert body["redis"] == "unreachable"
    assert "redis at 127.0.0.1:1/0 is unreachable" in body["problems"][0]


# --- celery worker ---------------------------------------------------------------------------


@pytest.fixture
def broker(monkeypatch):
    """Tasks go to a broker (Redis database 10) instead of running in-process."""
    url = os.environ["TEST_REDIS_URL"].rsplit("/", 1)[0] + "/10"
    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}

    def forget_connections():
        setattr(app, "_pool", None)  # noqa: B010 - rebuilt from broker_url on next use
        setattr(app.amqp, "_producer_pool", None)  # noqa: B010

    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    forget_connections()
    yield url
    app.conf.update(saved)
    forget_connections()


def _fake_ping(monkeypatch, answer):
    calls = []

    def ping(timeout):
        calls.append(timeout)
        return answer(timeout)

    monkeypatch.setattr(app.control, "ping", ping)
    return calls


def test_a_worker_that_answers_is_healthy_and_the_answer_is_remembered(
    client, broker, monkeypatch, settings
):
    settings.HEALTH_WORKER_CACHE_SECONDS = 60
    calls = _fake_ping(monkeypatch, lambda timeout: [{"celery@worker-1": {"ok": "pong"}}])

    first = get(client)
    second = get(client)

    assert first == second
    assert first[0] == 200
    assert first[1]["worker"] == {"answered": ["celery@worker-1"]}
    assert calls == [settings.HEALTH_WORKER_TIMEOUT_SECONDS]  # one ping for both probes


def test_no_worker_answering_is_unhealthy(client, broker, monkeypatch):
    _fake_ping(monkeypatch, lambda timeout: [])

    status, body = get(client)

    assert status == 503
    assert body["worker"] == "no answer"
    assert body["problems"] == ["no celery worker answered a ping within 1 s"]


def test_a_ping_that_hangs_costs_the_probe_its_deadline_only(client, broker, monkeypatch, settings):
    settings.HEALTH_WORKER_TIMEOUT_SECONDS = 0.2

    def hangs(timeout):
        time.sleep(5)
        return []

    _fake_ping(monkeypatch, hangs)
    began = time.monotonic()

    status, body = get(client)

    assert time.monotonic() - began < 2
    assert (status, body["worker"]) == (503, "no answer")


def test_the_worker_is_not_pinged_through_an_unreachable_broker(
    client, broker, settings, monkeypatch
):
    settings.REDIS_URL = CLOSED
    calls = _fake_ping(monkeypatch, lambda timeout: [])

    status, body = get(client)

    assert status == 503
    assert calls == []
    assert body["worker"] == "not checked"
    assert "redis" in body["problems"][0]


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the worker closes the database connections it finds
def test_a_real_worker_answers_the_ping_and_none_does_after_it_stops(client, broker):
    from celery.contrib.testing.worker import start_worker

    app.control.purge()
    with start_worker(app, queues=["default"], perform_ping_check=False, shutdown_timeout=30):
        status, body = get(client)
    health.worker_ping.forget()
    after = get(client)

    assert status == 200, body
    assert len(body["worker"]["answered"]) == 1
    assert after[0] == 503
    assert after[1]["worker"] == "no answer"


# --- live plans ------------------------------------------------------------------------------


@pytest.fixture
def planned_hub(db):
    hub = HubFactory(slug="wisselspoor")
    SiteFactory(hub=hub)
    return hub


def test_a_recent_live_plan_is_healthy(client, planned_hub):
    current_plan(planned_hub, start=timezone.now())

    status, body = get(client)

    assert status == 200
    assert body["plans"]["wisselspoor"]["status"] == "ok"
    assert body["plans"]["wisselspoor"]["age_minutes"] < 1


def test_a_stale_live_plan_is_unhealthy_and_names_the_hub(client, planned_hub, settings):
    settings.HEALTH_PLAN_MAX_AGE_MINUTES = 45
    run = current_plan(planned_hub, start=timezone.now())
    run.finished_at = timezone.now() - timedelta(minutes=50)
    run.save()
    HubFactory(slug="unplanned")  # no site: never planned, so never stale

    status, body = get(client)

    assert status == 503
    assert body["plans"] == {"wisselspoor": {"status": "stale", "age_minutes": 50.0}}
    assert body["problems"] == ["hub wisselspoor: live plan is 50 minutes old (more than 45)"]


def test_a_planned_hub_without_a_live_plan_is_unhealthy(client, planned_hub):
    status, body = get(client)

    assert status == 503
    assert body["problems"] == ["hub wisselspoor has no live plan"]


def test_an_unhealthy_probe_logs_one_warning_and_mails_nobody(
    client, planned_hub, settings, caplog
):
    from django.core import mail

    settings.ADMINS = [("Fleet desk", "fleet@example.org")]

    status, _ = get(client)

    assert status == 503
    assert mail.outbox == []  # a probe every few seconds must not flood the admins
    warnings = [r for r in caplog.records if r.name == "wisselstroom.health"]
    assert [r.getMessage() for r in warnings] == ["unhealthy: hub wisselspoor has no live plan"]
    assert not [r for r in caplog.records if r.name == "django.request"]
