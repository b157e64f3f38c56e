"""Celery tasks of the energy app: thin, by id, each calling one service."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from energy.models import DispatchRun
from energy.services.replan import SCHEDULED, plan_hub_guarded


@shared_task(
    acks_late=True,  # running a plan twice is harmless: the second replaces the first
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=5,
    retry_jitter=True,
    soft_time_limit=settings.DISPATCH_TIME_LIMIT_SECONDS + 60,
    time_limit=settings.DISPATCH_TIME_LIMIT_SECONDS + 120,
)
def plan_hub(hub_id: int, trigger: str = SCHEDULED) -> dict[str, object]:
    try:
        outcome = plan_hub_guarded(hub_id=hub_id, trigger=trigger)
    except SoftTimeLimitExceeded:
        return {"hub": hub_id, "status": "timeout"}
    return {"hub": hub_id, "status": outcome.status, "run": outcome.run_id}


@shared_task(expires=14 * 60)
def plan_all_hubs() -> int:
    from sharing.models import Hub

    hubs = list(Hub.objects.filter(site__isnull=False).values_list("pk", flat=True))
    for hub_id in hubs:
        plan_hub.apply_async((hub_id, SCHEDULED), expires=14 * 60)
    return len(hubs)


@shared_task(max_retries=2)
def purge_old_runs() -> int:
    """Delete runs past the retention period; the current plan of each hub always stays."""
    cutoff = timezone.now() - timedelta(days=settings.DISPATCH_RUN_RETENTION_DAYS)
    _, per_model = DispatchRun.objects.filter(created_at__lt=cutoff, is_current=False).delete()
    return per_model.get(DispatchRun._meta.label, 0)


@shared_task(max_retries=2)
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
