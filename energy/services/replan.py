"""Asking for a re-plan, and the guarded run behind the ``plan_hub`` task.

Every change a plan should reflect calls ``replan_request``. It counts the event and, if no
solve of that hub is queued yet, queues one a couple of seconds later (the debounce): a burst
of a hundred bookings therefore causes a solve or two, not a hundred. ``plan_hub_guarded``
takes the hub's lock without waiting; a second caller finds it held and leaves, re-queuing
itself only if events arrived that the running solve may not have seen.

The lock is a lease that lapses soon after its holder dies (see ``energy.locks``). Whoever takes
it next therefore knows that any run of the hub still ``running`` has lost its worker, and marks
it failed before planning; ``runs_fail_lost`` sweeps the runs of hubs nobody plans any more.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from config.env import env_int
from energy import locks
from energy.dispatch import Plan, Scenario
from energy.models import DispatchRun, RunStatus
from energy.services import planning
from energy.services.planning import Solver, hub_plan
from sharing.models import Hub

logger = logging.getLogger(__name__)
SCHEDULED = "schedule"
WORKER_LOST = "worker lost: the run's lease lapsed before it finished; the hub kept its last plan"


@dataclass(frozen=True)
class Outcome:
    status: str  # "planned", "busy", "requeued", "unchanged", "missing"
    run_id: int | None = None


_paused = threading.local()


@contextmanager
def replans_paused() -> Iterator[None]:
    """Bulk changes (the demo seed, imports) ask for no re-plan; the caller plans once after."""
    _paused.active = True
    try:
        yield
    finally:
        _paused.active = False


def replan_request(*, hub_id: int, reason: str) -> None:
    """Count a change for ``hub_id`` and queue a debounced solve after the transaction commits."""
    from energy.tasks import plan_hub  # tasks import services; the cycle is only at call time

    if getattr(_paused, "active", False):
        return

    def queue() -> None:
        locks.event_record(hub_id)
        debounce = settings.DISPATCH_DEBOUNCE_SECONDS
        if not locks.claim_queue_slot(hub_id, debounce + 60):
            return
        if settings.CELERY_TASK_ALWAYS_EAGER and settings.DISPATCH_INPROCESS == "thread":
            # Embedded default: no broker, so debounce on a timer thread instead of making the
            # resident's request wait for the solver.
            timer = threading.Timer(debounce, _plan_in_thread, args=(hub_id, reason))
            timer.daemon = True
            timer.start()
        else:
            plan_hub.apply_async((hub_id, reason), countdown=debounce)

    transaction.on_commit(queue)


def _plan_in_thread(hub_id: int, reason: str) -> None:
    from energy.tasks import plan_hub

    try:
        plan_hub.apply(args=(hub_id, reason))
    except Exception:
        logger.exception("in-process re-plan of hub %s failed", hub_id)
    finally:
        connections.close_all()


def plan_hub_guarded(*, hub_id: int, trigger: str, solver: Solver | None = None) -> Outcome:
    hub = Hub.objects.filter(pk=hub_id, site__isnull=False).first()
    if hub is None:
        return Outcome("missing")
    locks.release_queue_slot(hub_id)  # events from now on queue the next solve
    seen = locks.event_count(hub_id)
    if (
        trigger != SCHEDULED
        and not trigger.startswith("manual")
        and seen <= locks.planned_count(hub_id)
    ):
        return Outcome("unchanged")
    with locks.hub_lock(hub_id) as acquired:
        if not acquired:
            return Outcome("busy")
        _fail_lost(hub_id=hub_id)
        run: DispatchRun = hub_plan(hub=hub, trigger=trigger, solver=_delayed(solver))
        locks.planned_record(hub_id, seen)
    if locks.event_count(hub_id) > seen and locks.claim_queue_slot(hub_id, 60):
        # Changes arrived while solving: plan again, soon.
        from energy.tasks import plan_hub

        plan_hub.apply_async((hub_id, "changes during solve"), countdown=1)
    return Outcome("planned", run.pk)


def _fail_lost(*, hub_id: int, created_before: datetime | None = None) -> int:
    """Mark failed the hub's runs still ``running``. Only the holder of the hub's lock may call
    this: a live run's worker would hold that lock, so these runs lost theirs."""
    runs = DispatchRun.objects.filter(hub_id=hub_id, status=RunStatus.RUNNING)
    if created_before is not None:
        runs = runs.filter(created_at__lt=created_before)
    lost = runs.update(status=RunStatus.FAILED, error=WORKER_LOST, finished_at=timezone.now())
    if lost:
        logger.warning("hub %s: %s run(s) lost their worker and are marked failed", hub_id, lost)
    return lost


def runs_fail_lost(*, older_than_seconds: float) -> int:
    """Mark failed every run left ``running`` for longer than any live run can take, of hubs
    whose lock nobody holds; returns how many. The backstop for hubs that are not planned
    again soon (their next plan would mark them itself)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    hubs = set(
        DispatchRun.objects.filter(status=RunStatus.RUNNING, created_at__lt=cutoff).values_list(
            "hub_id", flat=True
        )
    )
    failed = 0
    for hub_id in sorted(hubs):
        with locks.hub_lock(hub_id) as acquired:
            if acquired:
                failed += _fail_lost(hub_id=hub_id, created_before=cutoff)
    return failed


def _delayed(solver: Solver | None) -> Solver | None:
    """``DISPATCH_TEST_DELAY_SECONDS`` (tests only, unset in production) holds every solve back
    that long after its run is recorded, so a test can kill a worker in the middle of one."""
    delay = env_int("DISPATCH_TEST_DELAY_SECONDS", 0, minimum=0)
    if not delay:
        return solver
    inner = solver or planning._default_solver

    def slow(scenario: Scenario, time_limit: float) -> Plan:
        time.sleep(delay)
        return inner(scenario, time_limit)

    return slow


def replan_all_hubs(*, reason: str, **filters: Any) -> int:
    hubs = list(Hub.objects.filter(site__isnull=False, **filters).values_list("pk", flat=True))
    for hub_id in hubs:
        replan_request(hub_id=hub_id, reason=reason)
    return len(hubs)
