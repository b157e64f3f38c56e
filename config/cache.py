"""The cache: Redis when ``REDIS_URL`` is set, and one that an unreachable Redis cannot break."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from config.outage import REDIS_DOWN, reason, where

logger = logging.getLogger("wisselstroom.redis")

# After a failure the cache is skipped for this long, so that an outage costs one refused
# connection (and one log line) every few seconds, not one per cache call.
RETRY_AFTER_SECONDS = 5.0
# A Redis that does not answer at all (a dropped packet, not a refused connection) must not
# hold a request for the operating system's minutes-long default.
SOCKET_TIMEOUT_SECONDS = 2


class ResilientRedisCacheClient(RedisCacheClient):
    """Every operation answers as a miss while Redis is unreachable."""

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._where = ", ".join(where(server) for server in servers)
        self._down_until = 0.0

    def _guard(self, name: str, missed: Any, *args: Any) -> Any:
        if time.monotonic() < self._down_until:
            return missed
        try:
            return getattr(super(), name)(*args)
        except REDIS_DOWN as exc:
            self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning(
                "Redis cache at %s is unreachable, carrying on without it for %.0f s: %s",
                self._where,
                RETRY_AFTER_SECONDS,
                reason(exc),
            )
            return missed

    def add(self, key: Any, value: Any, timeout: Any) -> bool:
        return bool(self._guard("add", False, key, value, timeout))

    def get(self, key: Any, default: Any) -> Any:
        return self._guard("get", default, key, default)

    def set(self, key: Any, value: Any, timeout: Any) -> None:
        self._guard("set", None, key, value, timeout)

    def touch(self, key: Any, timeout: Any) -> bool:
        return bool(self._guard("touch", False, key, timeout))

    def delete(self, key: Any) -> bool:
        return bool(self._guard("delete", False, key))

    def get_many(self, keys: Any) -> dict[Any, Any]:
        return dict(self._guard("get_many", {}, keys))

    def has_key(self, key: Any) -> bool:
        return bool(self._guard("has_key", False, key))

    def incr(self, key: Any, delta: int) -> int:
        value = self._guard("incr", None, key, delta)
        if value is None:
            # What Django raises for a key that is not there, which is what callers handle.
            raise ValueError(f"Key {key!r} not found (the cache is unreachable)")
        return int(value)

    def set_many(self, data: Mapping[Any, Any], timeout: Any) -> None:
        self._guard("set_many", None, data, timeout)

    def delete_many(self, keys: Any) -> None:
        self._guard("delete_many", None, keys)

    def clear(self) -> bool:
        return bool(self._guard("clear", False))


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, answering as an empty cache while Redis is unreachable: everything
    cached here (car rows, their version counter) is read again from PostgreSQL on a miss."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient


def caches_for(redis_url: str | None, *, key_prefix: str) -> dict[str, dict[str, Any]]:
    """The ``CACHES`` setting: Redis when a URL is given, this process's memory otherwise."""
    if not redis_url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": key_prefix,
            "OPTIONS": {
                "socket_connect_timeout": SOCKET_TIMEOUT_SECONDS,
                "socket_timeout": SOCKET_TIMEOUT_SECONDS,
            },
        }
    }
