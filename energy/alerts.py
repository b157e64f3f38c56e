"""Failures the fleet admins must hear about (a failed dispatch run, a grid band no plan can
keep): mailed to ``ADMINS`` as a task with retries, after the transaction commits."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import mail_admins

from config.mail import MAIL_TASK, permanent_refusals_not_retried
from config.outage import on_commit_despite_redis


@shared_task(
    name="energy.tasks.mail_admins_retried",  # its name from before it lived here
    **MAIL_TASK,
)
def mail_admins_retried(subject: str, message: str) -> None:
    """A failure the admins must hear about (a failed dispatch run), retried like resident mail."""
    with permanent_refusals_not_retried():
        mail_admins(subject, message)


def admins_alert(subject: str, message: str, *, what: str) -> None:
    """Mail the admins once the transaction commits; as a task with retries, because
    ``mail_admins(fail_silently=True)`` dropped it on a mail hiccup."""
    on_commit_despite_redis(lambda: mail_admins_retried.delay(subject, message), what=what)
