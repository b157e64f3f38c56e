"""Asking for a re-plan, and the guarded run behind the ``plan_hub`` task.

Every change a plan should reflect calls ``replan_request``. It counts the event and, if no
solve of that hub is queued yet, queues one a couple of seconds later (the debounce): a burst
of a hundred bookings therefore causes a solve or two, not a hundred. ``plan_hub_guarded``
takes the hub's lock without waiting; a second caller finds it held and leaves, re-queuing
itself only if events arrived that the running solve may not have seen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, transaction

from energy import locks
from energy.models import DispatchRun
from energy.services.planning import Solver, hub_plan
from sharing.models import Hub

logger = logging.getLogger(__name__)
SCHEDULED = "schedule"


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
        run: DispatchRun = hub_plan(hub=hub, trigger=trigger, solver=solver)
        locks.planned_record(hub_id, seen)
    if locks.event_count(hub_id) > seen and locks.claim_queue_slot(hub_id, 60):
        # Changes arrived while solving: plan again, soon.
        from energy.tasks import plan_hub

        plan_hub.apply_async((hub_id, "changes during solve"), countdown=1)
    return Outcome("planned", run.pk)


def replan_all_hubs(*, reason: str, **filters: Any) -> int:
    hubs = list(Hub.objects.filter(site__isnull=False, **filters).values_list("pk", flat=True))
    for hub_id in hubs:
        replan_request(hub_id=hub_id, reason=reason)
    return len(hubs)
