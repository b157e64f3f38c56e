"""A real Celery worker against the local Redis and PostgreSQL: bookings made through the API
show up in the hub's plan, and the one about to start gets its car bound."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from config.celery import app
from energy.models import DispatchRun
from sharing.models import Booking, BookingStatus
from tests.energy.conftest import make_hub

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


def _reset_connections() -> None:
    """Forget the app's pools so the next use builds them for the current broker URL.

    Kombu keeps its pools in process-wide registries keyed by URL, and the eager tasks of
    every other test borrow a producer from the in-memory broker's pool: closing pools here
    would break them, so the references are only dropped.
    """
    setattr(app, "_pool", None)  # noqa: B010 - private attribute, reset on purpose
    setattr(app.amqp, "_producer_pool", None)  # noqa: B010


@pytest.fixture
def redis_worker():
    broker = os.environ["TEST_REDIS_URL"].rsplit("/", 1)[0] + "/15"  # a database of our own
    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=broker, result_backend=broker, task_always_eager=False)
    _reset_connections()
    app.control.purge()
    with (
        override_settings(CELERY_TASK_ALWAYS_EAGER=False, DISPATCH_DEBOUNCE_SECONDS=1),
        start_worker(
            app, queues=["dispatch", "default"], perform_ping_check=False, shutdown_timeout=30
        ),
    ):
        yield app
    app.conf.update(saved)
    _reset_connections()


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.django_db(transaction=True)
def test_bookings_made_through_the_api_reach_the_plan_and_get_their_car(redis_worker, resident):
    hub = make_hub(slug="worker")
    client = APIClient()
    client.force_authenticate(resident)
    now = timezone.now()
    soon = (now + timedelta(minutes=16)).replace(second=0, microsecond=0)
    soon -= timedelta(minutes=soon.minute % 15)  # within the 30-minute binding lead
    later = soon + timedelta(hours=6)
    created = []
    for start, km in ((soon, 80), (later, 150)):
        response = client.post(
            "/api/bookings/",
            {
                "hub": hub.slug,
                "start": _local(start),
                "end": _local(start + timedelta(hours=2)),
                "promised_range_km": km,
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        created.append(response.json()["id"])

    deadline = time.monotonic() + 90
    run = None
    while time.monotonic() < deadline:
        run = DispatchRun.objects.filter(hub=hub, is_current=True).first()
        bound = Booking.objects.filter(pk=created[0], status=BookingStatus.BOUND).exists()
        assignments = (run.plan or {}).get("assignments", {}) if run else {}
        if all(f"booking-{pk}" in assignments for pk in created) and bound:
            break
        time.sleep(0.5)
    assert run is not None, "no plan was made by the worker"
    assert all(assignments[f"booking-{pk}"] for pk in created)
    first = Booking.objects.get(pk=created[0])
    assert first.status == BookingStatus.BOUND and first.vehicle is not None
    assert Booking.objects.get(pk=created[1]).status == BookingStatus.CONFIRMED
