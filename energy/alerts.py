"""Failures the fleet admins must hear about (a failed dispatch run, a grid band no plan can
keep): mailed to ``ADMINS`` as a task with retries, after the transaction commits."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import mail_admins

from config.mail import (
    MAIL_MAX_RETRIES,
    MAIL_RETRY_BACKOFF,
    MAIL_RETRY_BACKOFF_MAX,
    TRANSIENT_MAIL_ERRORS,
    permanent_refusals_not_retried,
)
from config.outage import on_commit_despite_redis


@shared_task(
    name="energy.tasks.mail_admins_retried",  # its name from before it lived here
    autoretry_for=TRANSIENT_MAIL_ERRORS,
    max_retries=MAIL_MAX_RETRIES,
    retry_backoff=MAIL_RETRY_BACKOFF,
    retry_backoff_max=MAIL_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    soft_time_limit=30,
    time_limit=60,
)
def mail_admins_retried(subject: str, message: str) -> None:
    """A failure the admins must hear about (a failed dispatch run), retried like resident mail."""
    with permanent_refusals_not_retried():
        mail_admins(subject, message)


def admins_alert(subject: str, message: str, *, what: str) -> None:
    """Mail the admins once the transaction commits; as a task with retries, because
    ``mail_admins(fail_silently=True)`` dropped it on a mail hiccup."""
    on_commit_despite_redis(lambda: mail_admins_retried.delay(subject, message), what=what)
