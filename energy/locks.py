"""Per-hub coordination of re-plans: a lock so one hub is never solved twice at once, an
event counter so a burst of changes causes few solves, and a pause for bulk changes.

With Redis (``REDIS_URL``) both live in Redis and hold across workers and machines; without
it (the embedded default, tasks in-process) the local-memory cache serves one process.
"""

from __future__ import annotations

import contextvars
import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import redis
from django.conf import settings
from django.core.cache import cache as django_cache

logger = logging.getLogger(__name__)

# The lock is a lease: taken for LEASE_SECONDS and renewed by a heartbeat thread every third of
# that while its holder lives. A killed holder (SIGKILL, OOM, lost machine) renews nothing, so
# its lock lapses within LEASE_SECONDS instead of turning re-plans away as "busy" for as long as
# the longest solve could take. Two missed heartbeats are tolerated (a stretch of solver code
# that holds the GIL, a slow Redis round trip) before a live holder would lose it.
LEASE_SECONDS = 30
REDELIVERY_MEMORY_SECONDS = 24 * 3600

_EXTEND = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
)
_DELETE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('del', KEYS[1]) else return 0 end"
)


# A Redis that does not answer (a dropped packet, a hung server) must fail a lock call in
# seconds, as the cache does (config.cache), not hold a worker or a request for the operating
# system's minutes-long TCP default. Every call here is one short command.
SOCKET_TIMEOUT_SECONDS = 2


@cache
def _redis() -> redis.Redis | None:
    url = getattr(settings, "REDIS_URL", None)
    if not url:
        return None
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
    )


def _key(hub_id: int, what: str) -> str:
    return f"wisselstroom:hub:{hub_id}:{what}"


def _extend(key: str, token: str, seconds: float) -> bool:
    """Renew the lease if it is still ours (compare-and-extend in one step)."""
    client = _redis()
    if client is not None:
        return bool(client.eval(_EXTEND, 1, key, token, int(seconds * 1000)))
    # The local-memory cache lives in this one process, so get-then-touch cannot race another.
    return django_cache.get(key) == token and django_cache.touch(key, seconds)


def _heartbeat(key: str, token: str, seconds: float, stop: threading.Event) -> None:
    while not stop.wait(seconds / 3):
        try:
            if not _extend(key, token, seconds):
                logger.warning("lease %s lapsed while its holder lived: a solve may overlap", key)
                return
        except redis.RedisError:
            logger.warning("could not renew lease %s; trying again", key, exc_info=True)


@contextmanager
def hub_lock(hub_id: int) -> Iterator[bool]:
    """Yields whether this caller holds the hub's planning lock; never blocks.

    The lock is held for as long as the ``with`` block runs in a live process, and lapses
    within ``LEASE_SECONDS`` of the holder's death.
    """
    token = secrets.token_hex(8)
    key = _key(hub_id, "plan-lock")
    seconds = LEASE_SECONDS
    client = _redis()
    if client is not None:
        acquired = bool(client.set(key, token, nx=True, px=int(seconds * 1000)))
    else:
        acquired = django_cache.add(key, token, seconds)
    if not acquired:
        yield False
        return
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(key, token, seconds, stop), name=f"lease-{key}", daemon=True
    )
    beat.start()
    try:
        yield True
    finally:
        stop.set()
        beat.join()
        if client is not None:
            client.eval(_DELETE, 1, key, token)  # only our own lock
        elif django_cache.get(key) == token:
            django_cache.delete(key)


def lease_remaining(hub_id: int) -> float:
    """Seconds until the hub's lock lapses unless renewed (0 when nobody holds it)."""
    key = _key(hub_id, "plan-lock")
    client = _redis()
    if client is None:
        # The local-memory cache does not tell; assume a whole lease.
        return float(LEASE_SECONDS) if django_cache.get(key) is not None else 0.0
    millis = int(client.pttl(key))
    return max(millis, 0) / 1000


def redelivery_record(task_id: str) -> int:
    """Counts one more redelivery of a task's message; returns how many there have been."""
    key = f"wisselstroom:task:{task_id}:redeliveries"
    client = _redis()
    if client is not None:
        with client.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, REDELIVERY_MEMORY_SECONDS)
            count, _ = pipe.execute()
        return int(count)
    django_cache.add(key, 0, REDELIVERY_MEMORY_SECONDS)
    return django_cache.incr(key)


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


_paused: contextvars.ContextVar[bool] = contextvars.ContextVar("replans_paused", default=False)


@contextmanager
def replans_paused() -> Iterator[None]:
    """Bulk changes (the demo seed, imports, a plan's own bindings) ask for no re-plan; the
    caller plans once after.

    The changes are announced when their transaction commits, which may be after this block
    when an outer transaction encloses it: the announcements are queued with the context they
    were made in (``config.outage.on_commit_despite_redis`` copies it), so the pause holds for
    them too, inside an outer transaction or not.
    """
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def replans_are_paused() -> bool:
    return _paused.get()
