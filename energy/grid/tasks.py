"""Celery tasks of the grid side: D-Prognoses after a plan, polling the OpenADR VTNs, pruning
the site meter's old readings."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.db import InterfaceError, OperationalError

from energy.grid.openadr import vtn_poll_all
from energy.grid.services import site_meter_readings_prune
from energy.grid.uftp import prognoses_send


@shared_task(
    name="energy.tasks.send_d_prognoses",  # its name from before it lived here
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    soft_time_limit=60,
)
def send_d_prognoses(hub_id: int) -> dict[str, object]:
    """Send the hub's grid operator each D-Prognosis the new plan changed, at most as often
    as the operator allows: one held back is sent by a single re-queued run later."""
    sent, wait = prognoses_send(hub_id=hub_id)
    if wait > 0 and cache.add(f"uftp-prognosis-queued:{hub_id}", 1, timeout=int(wait) + 30):
        send_d_prognoses.apply_async((hub_id,), countdown=wait)
    return {"hub": hub_id, "sent": sent, "wait": wait}


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


# Pruning twice is harmless (what is gone stays gone), so a retry may run it again.
@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=2,
    retry_backoff=60,
    acks_late=True,
    soft_time_limit=1800,
    time_limit=1900,
)
def purge_site_meter_readings() -> int:
    """Delete the site meter's readings past ``SITE_METER_RETENTION_DAYS`` but the evidence of
    months still being settled; the number deleted."""
    return site_meter_readings_prune()
