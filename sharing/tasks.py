"""Periodic jobs: thin, no arguments, each calls one service."""

from __future__ import annotations

from celery import shared_task

from sharing import services
from sharing.models import Hub


@shared_task(max_retries=3, retry_backoff=True, soft_time_limit=60, time_limit=90)
def flag_late_returns() -> int:
    return len(services.bookings_flag_late_returns())


@shared_task(max_retries=3, retry_backoff=True, soft_time_limit=60, time_limit=90)
def send_reminders() -> int:
    return len(services.bookings_send_reminders())


@shared_task(max_retries=3, retry_backoff=True, soft_time_limit=60, time_limit=90)
def mark_no_shows() -> int:
    return len(services.bookings_mark_no_show())


@shared_task(max_retries=3, retry_backoff=True, soft_time_limit=60, time_limit=90)
def bind_due(hub_id: int) -> int:
    hub = Hub.objects.filter(pk=hub_id).first()
    return 0 if hub is None else len(services.bookings_bind_due(hub=hub))


@shared_task(max_retries=3, retry_backoff=True, soft_time_limit=60, time_limit=90)
def bind_due_all_hubs() -> int:
    for hub_id in Hub.objects.values_list("pk", flat=True):
        bind_due.delay(hub_id)
    return Hub.objects.count()


@shared_task(
    autoretry_for=(OSError,),  # SMTP hiccups; sending twice is the lesser harm
    max_retries=5,
    retry_backoff=True,
    soft_time_limit=30,
    time_limit=60,
)
def send_booking_mail(kind: str, booking_id: int) -> None:
    """Resident mail off the request path: with a broker a worker sends it, with retries."""
    from sharing.emails import send_booking_mail as send

    send(kind, booking_id)
