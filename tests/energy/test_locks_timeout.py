"""A Redis that accepts the connection and then never answers (a hung server, a dropped packet)
fails the hub lock within seconds, instead of holding the worker or request indefinitely."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import redis

from energy import locks


@pytest.fixture
def silent_redis(settings):
    """A TCP server that accepts and never replies."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    settings.REDIS_URL = f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    locks._redis.cache_clear()
    yield
    locks._redis.cache_clear()
    server.close()


def test_a_silent_redis_fails_the_lock_within_seconds(silent_redis):
    outcome: list[object] = []

    def take_lock() -> None:
        try:
            with locks.hub_lock(1) as held:
                outcome.append(held)
        except redis.RedisError as error:
            outcome.append(error)

    began = time.monotonic()
    worker = threading.Thread(target=take_lock, daemon=True)
    worker.start()
    worker.join(timeout=15)
    assert not worker.is_alive(), "still waiting for Redis after 15 s"
    assert isinstance(outcome[0], redis.TimeoutError)
    assert time.monotonic() - began < locks.SOCKET_TIMEOUT_SECONDS * 3
