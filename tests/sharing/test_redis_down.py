"""Redis configured but not answering: residents can still check and book, and /healthz says
what is wrong. (The hub lock is a PostgreSQL row lock; Redis only caches and queues.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from config.cache import caches_for
from energy import locks
from sharing.models import Booking
from tests.sharing.conftest import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_down():
    locks._redis.cache_clear()  # energy's client is made once from REDIS_URL
    with override_settings(REDIS_URL=CLOSED, CACHES=caches_for(CLOSED, key_prefix="test")):
        yield
    locks._redis.cache_clear()


def body(hub):
    return {
        "hub": hub.slug,
        "start": (NOW + 2 * H).isoformat(),
        "end": (NOW + 4 * H).isoformat(),
        "promised_range_km": 50,
    }


def test_availability_answers(api, hub, car, frozen, redis_down, caplog):
    response = api.get(
        reverse("api-availability"),
        {"hub": hub.slug, "start": body(hub)["start"], "end": body(hub)["end"]},
    )

    assert response.status_code == 200
    assert response.json()["available"] is True
    assert "redis" in caplog.text.lower()


# Real commits: the after-commit work (mail, re-plan) runs as it does in production.
@pytest.mark.django_db(transaction=True)
def test_booking_is_made_and_answered(api, hub, car, frozen, redis_down, caplog):
    response = api.post(reverse("api-booking-list"), body(hub), format="json")

    assert response.status_code == 201, response.content
    assert Booking.objects.filter(pk=response.json()["id"]).exists()
    assert len(mail.outbox) == 1  # tasks run in-process here; the mail still goes
    assert "redis" in caplog.text.lower()


@pytest.mark.django_db(transaction=True)
def test_booking_page_books(client, resident, hub, car, frozen, redis_down):
    client.force_login(resident)
    form = {
        "hub": hub.slug,
        "start": "2026-12-01T12:00",
        "end": "2026-12-01T14:00",
        "range_km": "50",
    }
    assert client.get("/book/", form).status_code == 200
    response = client.post("/book/", form)

    assert response.status_code == 302
    assert Booking.objects.count() == 1


def test_healthz_is_unhealthy_and_names_redis(client, redis_down):
    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert "redis" in body["problems"][0].lower()


@pytest.mark.redis
def test_healthz_is_ok_with_redis_up(client, settings):
    import os

    settings.REDIS_URL = os.environ["TEST_REDIS_URL"]
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json()["redis"] == "ok"


@pytest.fixture
def queue_down(redis_down):
    """Tasks go to a broker at the closed port instead of running in-process."""
    from config.celery import app

    saved = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}

    def forget_connections():  # they are made from broker_url on first use
        app._pool = None  # type: ignore[attr-defined]
        app.amqp._producer_pool = None  # type: ignore[attr-defined]

    app.conf.update(task_always_eager=False, broker_url=CLOSED)
    forget_connections()
    yield
    app.conf.update(saved)
    forget_connections()


@pytest.mark.django_db(transaction=True)
def test_booking_stands_when_its_mail_cannot_be_queued(api, hub, car, frozen, queue_down, caplog):
    response = api.post(reverse("api-booking-list"), body(hub), format="json")

    assert response.status_code == 201, response.content
    assert Booking.objects.count() == 1
    assert mail.outbox == []
    skipped = [r.getMessage() for r in caplog.records if r.name == "wisselstroom.redis"]
    assert any("'confirmed' mail of booking" in line for line in skipped), skipped
    assert all("\n" not in line for line in skipped)


def test_what_truly_needs_redis_is_a_clear_503(api, client, resident, hub, frozen, monkeypatch):
    def unreachable(**kwargs):
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:1.")

    monkeypatch.setattr("sharing.selectors.book.availability", unreachable)
    window = {"hub": hub.slug, "start": "2026-12-01T12:00", "end": "2026-12-01T13:00"}
    response = api.get(reverse("api-availability"), window)

    assert response.status_code == 503
    assert "try again" in response.json()["detail"]
    assert response["Retry-After"] == "60"

    client.force_login(resident)
    page = client.get("/book/", {**window, "range_km": "10"})
    assert page.status_code == 503
    assert "try again" in page.content.decode()


def test_a_redis_outage_does_not_mail_the_admins_per_request(
    api, hub, frozen, monkeypatch, settings
):
    """One warning line per request (above), no error mail each: an outage would flood them."""
    from django.core import mail

    settings.ADMINS = [("Ops", "ops@example.org")]

    def unreachable(**kwargs):
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:1.")

    monkeypatch.setattr("sharing.selectors.book.availability", unreachable)
    window = {"hub": hub.slug, "start": "2026-12-01T12:00", "end": "2026-12-01T13:00"}
    for _ in range(3):
        assert api.get(reverse("api-availability"), window).status_code == 503

    assert [m.to for m in mail.outbox] == []
