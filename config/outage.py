"""Redis is a cache and a task queue here, never the only copy of anything (the hub lock is a
PostgreSQL row lock). When it does not answer, a request carries on without it and one line in
the log says what was skipped; ``/healthz`` reports the outage."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

import kombu.exceptions
import redis.exceptions
from django.db import transaction

logger = logging.getLogger("wisselstroom.redis")

# What an unreachable Redis raises: redis-py itself, or kombu when Celery publishes a task.
REDIS_DOWN: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
)


def where(url: str) -> str:
    """``host:port/db`` of a Redis URL, without the password."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"


def reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def on_commit_despite_redis(func: Callable[[], object], *, what: str) -> None:
    """``transaction.on_commit(func)``, except that an unreachable Redis (the task queue, a
    re-plan counter) while it runs is one warning, not an error: the change has committed and
    the resident must hear that it is done. Periodic tasks catch up on what was skipped.

    ``func`` runs in the context (``contextvars``) it was queued in, not the one that commits:
    a pause of re-plans around a change (``energy.locks.replans_paused``) therefore holds for
    its announcement even when an outer transaction commits after the pause has ended."""
    context = contextvars.copy_context()

    def run() -> None:
        try:
            context.run(func)
        except REDIS_DOWN as exc:
            logger.warning("Redis is unreachable, %s skipped: %s", what, reason(exc))

    transaction.on_commit(run)
