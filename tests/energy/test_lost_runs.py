"""Runs and messages a killed worker leaves behind: the run is marked failed instead of staying
``running`` forever, and the message comes back (once the dead holder's lease lapses) instead of
being lost, but not for ever."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.utils import timezone

from energy import locks, tasks
from energy.models import DispatchRun, RunStatus
from energy.tasks import plan_hub


def _orphan(hub, age: timedelta) -> DispatchRun:
    """A run as a worker killed mid-solve leaves it: running, no plan, never finished."""
    return DispatchRun.objects.create(
        hub=hub,
        trigger="booking created",
        created_at=timezone.now() - age,
        horizon_start=timezone.now(),
        slots=8,
        scenario={},
    )


@contextmanager
def _redelivered(hub, task_id: str = "lost-message") -> Iterator[None]:
    """Runs ``plan_hub`` as for a message Redis handed out again after its worker died."""
    task: Any = plan_hub  # celery-types gives push_request the task's own parameters
    task.push_request(
        id=task_id,
        args=[hub.pk, "schedule"],
        kwargs={},
        delivery_info={"redelivered": True},
        called_directly=False,
    )
    try:
        yield
    finally:
        plan_hub.pop_request()


def test_plan_hub_goes_back_to_the_queue_when_its_worker_dies():
    assert plan_hub.acks_late
    assert plan_hub.reject_on_worker_lost
    assert plan_hub.max_retries == 3


def test_an_unacknowledged_message_returns_well_within_a_minute_but_after_a_normal_solve():
    options = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS
    sweep = options["unacked_restore_interval"] * options.get("unacked_restore_throttle", 10)
    assert options["visibility_timeout"] > django_settings.DISPATCH_TIME_LIMIT_SECONDS
    assert options["visibility_timeout"] + sweep <= 40


@pytest.mark.django_db
def test_the_next_plan_of_the_hub_marks_a_run_its_worker_lost_failed(hub):
    lost = _orphan(hub, timedelta(seconds=20))
    assert plan_hub(hub.pk, "schedule")["status"] == "planned"
    lost.refresh_from_db()
    assert lost.status == RunStatus.FAILED
    assert "worker lost" in lost.error
    assert lost.finished_at is not None
    assert DispatchRun.objects.get(hub=hub, is_current=True).status == RunStatus.SUCCEEDED


@pytest.mark.django_db
def test_the_sweep_fails_old_runs_of_hubs_nobody_is_planning(hub, monkeypatch):
    from tests.energy.conftest import make_hub

    hard_limit = timedelta(seconds=tasks.PLAN_HARD_LIMIT_SECONDS)
    old = _orphan(hub, hard_limit + timedelta(minutes=1))
    young = _orphan(make_hub(slug="young"), timedelta(seconds=30))  # may still be solving
    busy_hub = make_hub(slug="busy")
    held = _orphan(busy_hub, hard_limit + timedelta(minutes=1))
    with locks.hub_lock(busy_hub.pk) as acquired:  # someone holds the lease right now
        assert acquired
        assert tasks.fail_lost_runs.delay().get() == 1
    for run in (old, young, held):
        run.refresh_from_db()
    assert old.status == RunStatus.FAILED and "worker lost" in old.error
    assert young.status == RunStatus.RUNNING
    assert held.status == RunStatus.RUNNING


@pytest.mark.django_db
def test_a_redelivered_plan_waits_for_the_dead_holders_lease_instead_of_giving_up(hub):
    # The worker that died holding this very message still holds the hub's lease.
    with locks.hub_lock(hub.pk) as acquired:
        assert acquired
        with _redelivered(hub), pytest.raises(Retry) as retried:
            plan_hub.run(hub.pk, "schedule")
    when = retried.value.when
    assert isinstance(when, int | float)
    assert 1 <= when <= locks.LEASE_SECONDS + 1


@pytest.mark.django_db
def test_a_fresh_plan_finding_the_lock_held_leaves_it_to_the_holder(hub):
    with locks.hub_lock(hub.pk) as acquired:
        assert acquired
        assert plan_hub(hub.pk, "schedule")["status"] == "busy"


@pytest.mark.django_db
def test_a_message_that_keeps_killing_its_worker_is_given_up_after_three_redeliveries(hub):
    statuses = []
    for _ in range(4):
        with _redelivered(hub, "poison"):
            statuses.append(plan_hub.run(hub.pk, "schedule")["status"])
    assert statuses == ["planned", "planned", "planned", "abandoned"]
