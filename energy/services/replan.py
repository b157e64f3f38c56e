"""Asking for a re-plan.

Every change a plan should reflect calls ``replan_request``. It counts the event and, if no
solve of that hub is queued yet, queues one a couple of seconds later (the debounce): a burst
of a hundred bookings therefore causes a solve or two, not a hundred. The ``plan_hub`` task then
runs ``energy.services.planning.plan_hub_guarded``. Bulk changes pause the requests
(``energy.locks.replans_paused``).

Imports go one way: this module queues the task, the task calls the planning service, which
never imports this module or the tasks.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import connections, transaction

from energy import locks
from energy.tasks import plan_hub
from sharing.models import Hub

logger = logging.getLogger(__name__)


def replan_request(*, hub_id: int, reason: str) -> None:
    """Count a change for ``hub_id`` and queue a debounced solve after the transaction commits."""
    if locks.replans_are_paused():
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
    try:
        plan_hub.apply(args=(hub_id, reason))
    except Exception:
        logger.exception("in-process re-plan of hub %s failed", hub_id)
    finally:
        connections.close_all()


def replan_all_hubs(*, reason: str, **filters: Any) -> int:
    hubs = list(Hub.objects.filter(site__isnull=False, **filters).values_list("pk", flat=True))
    for hub_id in hubs:
        replan_request(hub_id=hub_id, reason=reason)
    return len(hubs)
