"""Celery tasks of the energy app: thin, by id, each calling one service.

Imports go one way: services queue these tasks (``energy.services.replan``), the tasks call
services that never import this module. A made plan is announced (``energy.signals.plan_made``)
rather than handed to the grid side by name.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from celery import Task, shared_task
from celery.exceptions import MaxRetriesExceededError, SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from energy import locks, signals
from energy.models import DispatchRun
from energy.services.planning import SCHEDULED, plan_hub_guarded, runs_fail_lost

logger = logging.getLogger(__name__)

PLAN_HARD_LIMIT_SECONDS = settings.DISPATCH_TIME_LIMIT_SECONDS + 120
# A message that killed its worker this many times is dropped: a solve that always dies (out of
# memory, a crash in the solver's C++) must not take the worker down for ever.
MAX_REDELIVERIES = 3


@shared_task(
    bind=True,
    # Running a plan twice is harmless (a second copy finds the hub locked and leaves, a plan
    # replaces the last), so the message is acknowledged only once the plan is made. If the pool
    # process dies mid-solve the message goes straight back to the queue (reject_on_worker_lost);
    # if the whole worker dies, Redis hands it out again after the visibility timeout
    # (CELERY_VISIBILITY_TIMEOUT in settings).
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=5,
    retry_jitter=True,
    soft_time_limit=settings.DISPATCH_TIME_LIMIT_SECONDS + 60,
    time_limit=PLAN_HARD_LIMIT_SECONDS,
)
def plan_hub(self: Task, hub_id: int, trigger: str = SCHEDULED) -> dict[str, object]:
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    if redelivered and locks.redelivery_record(str(self.request.id)) > MAX_REDELIVERIES:
        logger.error("plan of hub %s lost its worker %s times; dropped", hub_id, MAX_REDELIVERIES)
        return {"hub": hub_id, "status": "abandoned", "run": None}
    try:
        outcome = plan_hub_guarded(hub_id=hub_id, trigger=trigger)
    except SoftTimeLimitExceeded:
        return {"hub": hub_id, "status": "timeout"}
    if outcome.status == "busy" and redelivered:
        # The holder may be the very worker that died with this message, and nobody else would
        # plan what it was planning: try again once its lease has lapsed.
        try:
            raise self.retry(countdown=locks.lease_remaining(hub_id) + 1)
        except MaxRetriesExceededError:
            pass
    if outcome.status != "planned":
        return {"hub": hub_id, "status": outcome.status, "run": outcome.run_id}
    if locks.event_count(hub_id) > outcome.seen and locks.claim_queue_slot(hub_id, 60):
        # Changes arrived while solving: plan again, soon.
        plan_hub.apply_async((hub_id, "changes during solve"), countdown=1)
    # the grid operator hears of a changed baseline (energy.grid's receiver)
    signals.plan_made.send(sender="energy", hub_id=hub_id, run_id=outcome.run_id)
    return {"hub": hub_id, "status": outcome.status, "run": outcome.run_id}


@shared_task(expires=4 * 60)
def fail_lost_runs() -> int:
    """Mark failed the runs left ``running`` by workers that died (the backstop; see replan)."""
    return runs_fail_lost(older_than_seconds=PLAN_HARD_LIMIT_SECONDS)


@shared_task(expires=14 * 60)
def plan_all_hubs() -> int:
    from sharing.models import Hub

    hubs = list(Hub.objects.filter(site__isnull=False).values_list("pk", flat=True))
    for hub_id in hubs:
        plan_hub.apply_async((hub_id, SCHEDULED), expires=14 * 60)
    return len(hubs)


# Deleting old runs and importing a price file (moved only once imported) are safe to repeat.
@shared_task(autoretry_for=(OperationalError, InterfaceError), max_retries=2, retry_backoff=5)
def purge_old_runs() -> int:
    """Delete runs past the retention period; the current plan of each hub always stays."""
    cutoff = timezone.now() - timedelta(days=settings.DISPATCH_RUN_RETENTION_DAYS)
    _, per_model = DispatchRun.objects.filter(created_at__lt=cutoff, is_current=False).delete()
    return per_model.get(DispatchRun._meta.label, 0)


@shared_task(autoretry_for=(OperationalError, InterfaceError), max_retries=2, retry_backoff=5)
def import_prices_from_inbox() -> int:
    """Import every price file dropped in ``PRICE_INBOX_DIR``; move each to done/ or failed/."""
    from energy.prices import PriceFileError
    from energy.services.prices import prices_import

    if not settings.PRICE_INBOX_DIR:
        return 0
    inbox = Path(settings.PRICE_INBOX_DIR)
    imported = 0
    for path in sorted(inbox.glob("*.csv")):
        target = "done"
        try:
            prices_import(text=path.read_text(encoding="utf-8-sig"), source=path.name)
            imported += 1
        except (PriceFileError, UnicodeDecodeError):
            target = "failed"
        (inbox / target).mkdir(exist_ok=True)
        path.rename(inbox / target / path.name)
    return imported
