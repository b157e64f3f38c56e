"""Which mail failures a task retries, and how.

A mail server that is down, drops the connection, times out or answers 4xx (greylisting, a full
queue) is worth trying again: the task raises an ``OSError`` (``smtplib.SMTPException`` and
``ConnectionError`` are ones) and Celery's ``autoretry_for`` queues it again with backoff. A
5xx answer (no such recipient, a refused sender, bad credentials) would be refused again: it
becomes ``MailRefused``, which is not retried. Sending a mail twice (a connection lost after
the server took it) is the lesser harm.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TRANSIENT_MAIL_ERRORS: tuple[type[Exception], ...] = (OSError,)
MAIL_MAX_RETRIES = 6
MAIL_RETRY_BACKOFF = 2  # seconds before the first retry, doubling (with jitter) after
# A retry waits in the worker as an unacknowledged message; Redis hands a message out again
# after CELERY_VISIBILITY_TIMEOUT (35 s), so a longer countdown would send the mail twice.
MAIL_RETRY_BACKOFF_MAX = 30
# The options of every mail task (residents' account and booking mail, the admins' alerts):
# transient SMTP errors retried with jittered backoff, bounded in time.
MAIL_TASK: dict[str, Any] = {
    "autoretry_for": TRANSIENT_MAIL_ERRORS,
    "max_retries": MAIL_MAX_RETRIES,
    "retry_backoff": MAIL_RETRY_BACKOFF,
    "retry_backoff_max": MAIL_RETRY_BACKOFF_MAX,
    "retry_jitter": True,
    "soft_time_limit": 30,
    "time_limit": 60,
}


class MailRefused(Exception):
    """The mail server refused for good (5xx); trying again would be refused again."""


def is_permanent(exc: smtplib.SMTPException) -> bool:
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


@contextmanager
def permanent_refusals_not_retried() -> Iterator[None]:
    try:
        yield
    except smtplib.SMTPException as exc:
        if is_permanent(exc):
            raise MailRefused(str(exc)) from exc
        raise
