"""Celery tasks of the grid side that are not UFTP messages (those are in ``energy.tasks``)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from energy.grid.openadr import vtn_poll_all


# Polling twice is harmless (a version already kept changes nothing), and a late poll is
# superseded by the next one: it expires instead of piling up behind a stopped worker.
@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=2,
    retry_backoff=5,
    soft_time_limit=50,
    time_limit=60,
)
def poll_openadr() -> dict[str, int]:
    """Poll every active VTN connection; a changed capacity limit queues its hub's re-plan."""
    outcomes = vtn_poll_all()
    return {
        "polled": len(outcomes),
        "failed": sum(not o.ok for o in outcomes),
        "changed": sum(o.changed for o in outcomes),
    }
