"""Periodic jobs: thin, no arguments, each calls one service.

The periodic jobs claim each booking with a conditional update, so running one again after a
lost database connection is harmless: they retry on ``OperationalError``.

The direction is ``sharing.tasks`` -> ``sharing.services`` -> ``sharing.emails``: nothing below
imports this module. The resident mail task (Celery name ``sharing.tasks.send_booking_mail``)
lives in ``sharing.emails``, where the services queue it.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from sharing import services
from sharing.models import Hub

# Database hiccups: retried after about 1, 2, 4 s (jittered); beat runs the job again anyway.
DATABASE_HICCUPS = (OperationalError, InterfaceError)
# The periodic booking jobs: retried on a database hiccup, stopped if one runs away.
PERIODIC_JOB: dict[str, Any] = {
    "autoretry_for": DATABASE_HICCUPS,
    "max_retries": 3,
    "retry_backoff": 1,
    "retry_jitter": True,
    "soft_time_limit": 60,
    "time_limit": 90,
}


@shared_task(**PERIODIC_JOB)
def flag_late_returns() -> int:
    return len(services.bookings_flag_late_returns())


@shared_task(**PERIODIC_JOB)
def send_reminders() -> int:
    return len(services.bookings_send_reminders())


@shared_task(**PERIODIC_JOB)
def mark_no_shows() -> int:
    return len(services.bookings_mark_no_show())


@shared_task(**PERIODIC_JOB)
def bind_due(hub_id: int) -> int:
    hub = Hub.objects.filter(pk=hub_id).first()
    return 0 if hub is None else len(services.bookings_bind_due(hub=hub))


@shared_task(**PERIODIC_JOB)
def bind_due_all_hubs() -> int:
    for hub_id in Hub.objects.values_list("pk", flat=True):
        bind_due.delay(hub_id)
    return Hub.objects.count()
