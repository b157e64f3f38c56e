"""Per-hub coordination of re-plans: a lock so one hub is never solved twice at once, and an
event counter so a burst of changes causes few solves.

With Redis (``REDIS_URL``) both live in Redis and hold across workers and machines; without
it (the embedded default, tasks in-process) the local-memory cache serves one process.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import redis
from django.conf import settings
from django.core.cache import cache as django_cache

LOCK_SECONDS = 600  # longer than the task's hard time limit: a crashed holder frees it anyway


@cache
def _redis() -> redis.Redis | None:
    url = getattr(settings, "REDIS_URL", None)
    return redis.Redis.from_url(url) if url else None


def _key(hub_id: int, what: str) -> str:
    return f"wisselstroom:hub:{hub_id}:{what}"


@contextmanager
def hub_lock(hub_id: int) -> Iterator[bool]:
    """Yields whether this caller holds the hub's planning lock; never blocks."""
    token = secrets.token_hex(8)
    key = _key(hub_id, "plan-lock")
    client = _redis()
    if client is not None:
        acquired = bool(client.set(key, token, nx=True, ex=LOCK_SECONDS))
    else:
        acquired = django_cache.add(key, token, LOCK_SECONDS)
    try:
        yield acquired
    finally:
        if acquired:
            if client is not None:
                # Delete only our own lock (compare-and-delete in one step).
                client.eval(
                    "if redis.call('get', KEYS[1]) == ARGV[1] then "
                    "return redis.call('del', KEYS[1]) else return 0 end",
                    1,
                    key,
                    token,
                )
            elif django_cache.get(key) == token:
                django_cache.delete(key)


def hub_lock_held(hub_id: int) -> bool:
    key = _key(hub_id, "plan-lock")
    client = _redis()
    return bool(client.exists(key)) if client is not None else django_cache.get(key) is not None


def event_count(hub_id: int) -> int:
    client = _redis()
    key = _key(hub_id, "events")
    if client is not None:
        return int(client.get(key) or 0)
    return int(django_cache.get(key) or 0)


def event_record(hub_id: int) -> int:
    """Counts a change that the hub's plan should reflect; returns the new count."""
    client = _redis()
    key = _key(hub_id, "events")
    if client is not None:
        return int(client.incr(key))
    django_cache.add(key, 0, None)
    return django_cache.incr(key)


def planned_count(hub_id: int) -> int:
    client = _redis()
    key = _key(hub_id, "planned")
    value = client.get(key) if client is not None else django_cache.get(key)
    return int(value or 0)


def planned_record(hub_id: int, count: int) -> None:
    client = _redis()
    key = _key(hub_id, "planned")
    if client is not None:
        client.set(key, count)
    else:
        django_cache.set(key, count, None)


def claim_queue_slot(hub_id: int, seconds: int) -> bool:
    """True for the first caller in a debounce window: only that one queues a solve."""
    client = _redis()
    key = _key(hub_id, "queued")
    if client is not None:
        return bool(client.set(key, 1, nx=True, ex=seconds))
    return django_cache.add(key, 1, seconds)


def release_queue_slot(hub_id: int) -> None:
    client = _redis()
    key = _key(hub_id, "queued")
    if client is not None:
        client.delete(key)
    else:
        django_cache.delete(key)
