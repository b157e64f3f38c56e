"""The hub's planning lock is a lease: a live holder keeps it for as long as it solves, a dead
one loses it within ``LEASE_SECONDS``, so a killed worker does not turn re-plans away for
ten minutes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from energy import locks

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 12  # 13: bench_bookings, 14: bench_orchestration, 15: test_celery_worker


def _redis_url() -> str:
    return os.environ["TEST_REDIS_URL"].rsplit("/", 1)[0] + f"/{REDIS_DB}"


@pytest.fixture
def redis_locks(settings) -> Iterator[redis.Redis]:
    """The locks in a Redis database of the test's own, as with ``REDIS_URL`` in production."""
    settings.REDIS_URL = _redis_url()
    locks._redis.cache_clear()
    client = redis.Redis.from_url(_redis_url())
    client.flushdb()
    yield client
    client.flushdb()
    locks._redis.cache_clear()


@pytest.mark.redis
@pytest.mark.slow
def test_a_killed_holder_leaves_the_lock_for_at_most_the_lease(redis_locks):
    # A separate process takes the lock and is killed with it held: nothing releases it.
    holder = subprocess.run(
        [sys.executable, "-c",
         "import os, signal, django\n"
         "django.setup()\n"
         "from energy.locks import hub_lock\n"
         "with hub_lock(4242) as acquired:\n"
         "    print(acquired, flush=True)\n"
         "    os.kill(os.getpid(), signal.SIGKILL)\n"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "REDIS_URL": _redis_url()},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    assert holder.stdout.strip() == "True", holder.stderr
    ttl = redis_locks.ttl("wisselstroom:hub:4242:plan-lock")
    assert 0 < ttl <= 30


@pytest.mark.redis
def test_a_live_holder_keeps_the_lock_past_the_lease_and_frees_it_when_done(
    redis_locks, monkeypatch
):
    monkeypatch.setattr(locks, "LEASE_SECONDS", 1)
    with locks.hub_lock(7) as acquired:
        assert acquired
        time.sleep(2.5)  # two and a half leases: only the heartbeat keeps it
        assert locks.lease_remaining(7) > 0
        with locks.hub_lock(7) as second:
            assert not second
        assert 0 < redis_locks.pttl("wisselstroom:hub:7:plan-lock") <= 1000
    assert locks.lease_remaining(7) == 0


def test_without_redis_a_live_holder_keeps_the_lock_past_the_lease(monkeypatch):
    monkeypatch.setattr(locks, "LEASE_SECONDS", 1)
    with locks.hub_lock(8) as acquired:
        assert acquired
        time.sleep(2.5)
        with locks.hub_lock(8) as second:
            assert not second
    assert locks.lease_remaining(8) == 0
