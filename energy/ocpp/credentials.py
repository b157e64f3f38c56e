"""Checking a connecting charger's password without letting the checks hold up anyone else.

A password hash (PBKDF2, hundreds of milliseconds of CPU by design) must never run on the event
loop or on Django's one thread for thread-sensitive code, which every connected charger's
messages share. :class:`PasswordChecks` therefore:

- runs :func:`energy.services.chargers.charger_credentials_valid` in a small thread pool of its
  own (half the CPUs), with at most ``max_pending`` checks queued or running (8 per thread by
  default; more: "busy", HTTP 503);
- limits the checks per remote address with a token bucket (``rate`` a second, ``burst`` at
  once; excess: HTTP 429 before any hashing). A check that succeeds gives its token back, so
  chargers behind one router are only held back by those that fail;
- remembers a successful check of (id, password) for ``ttl`` seconds as a keyed digest, compared
  in constant time, so a charger that reconnects again and again is hashed once;
- lets identical checks that arrive together share one hash.

An unknown id still costs a hash (the service computes one), and neither the rate limit nor the
sharing depends on whether the id exists, so timing does not reveal which ids do.
A remembered check is tied to the version of the charger's stored hash
(:func:`~energy.services.chargers.charger_password_version`, one indexed read, no hashing): once
the password is changed (in the admin or with ``set_charger_password``, from any process) the
old one is checked afresh at the next handshake, and refused. A charger that is connected stays
connected after a change.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import hmac
import math
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.db import connections

from energy.services import chargers

PENDING_PER_WORKER = 8
MAX_ADDRESSES = 10_000  # idle buckets are forgotten past this many remote addresses


class Verdict(enum.Enum):
    VALID = "valid"
    INVALID = "invalid"
    LIMITED = "limited"  # this address has used its attempts: 429
    BUSY = "busy"  # too many checks queued already: 503


@dataclass
class _Bucket:
    tokens: float
    updated: float


class HandshakeLimiter:
    """A token bucket per remote address: ``burst`` attempts at once, ``rate`` more a second."""

    def __init__(
        self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, address: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(address)
        if bucket is None:
            if len(self._buckets) >= MAX_ADDRESSES:
                self._forget_idle(now)
            bucket = self._buckets[address] = _Bucket(tokens=float(self.burst), updated=now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        return bucket

    def _forget_idle(self, now: float) -> None:
        for address, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.updated) * self.rate >= self.burst:
                del self._buckets[address]

    def take(self, address: str) -> bool:
        bucket = self._bucket(address)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return True
        return False

    def give_back(self, address: str) -> None:
        bucket = self._bucket(address)
        bucket.tokens = min(self.burst, bucket.tokens + 1)

    def retry_after(self, address: str) -> int:
        """Whole seconds until ``address`` has an attempt again."""
        bucket = self._bucket(address)
        return max(1, math.ceil((1 - bucket.tokens) / self.rate))


class VerifiedPasswords:
    """The last password that passed per charger, as an HMAC under a key of this process only."""

    def __init__(self, *, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self._clock = ttl, clock
        self._key = secrets.token_bytes(32)
        self._entries: dict[str, tuple[bytes, float, str]] = {}

    def digest(self, password: str) -> bytes:
        return hmac.new(
            self._key, password.encode("utf-8", "surrogatepass"), hashlib.sha256
        ).digest()

    def known(self, ocpp_id: str, digest: bytes) -> str | None:
        """The password version the digest was checked under, if it is remembered."""
        entry = self._entries.get(ocpp_id)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[2] if hmac.compare_digest(entry[0], digest) else None

    def remember(self, ocpp_id: str, digest: bytes, version: str) -> None:
        now = self._clock()
        if len(self._entries) >= MAX_ADDRESSES:
            self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
        self._entries[ocpp_id] = (digest, now + self.ttl, version)

    def forget(self, ocpp_id: str) -> None:
        self._entries.pop(ocpp_id, None)


def _check_in_pool(ocpp_id: str, password: str) -> tuple[bool, str]:
    """One check on a pool thread, with a database connection of its own, closed afterwards
    (a check is a rare, slow event; an idle connection per pool thread is not worth keeping).
    Returns whether it passed and the password version it was checked against (read first: a
    change in between makes the next handshake check again, never the reverse)."""
    try:
        version = chargers.charger_password_version(ocpp_id=ocpp_id)
        return chargers.charger_credentials_valid(ocpp_id=ocpp_id, password=password), version
    finally:
        connections.close_all()


def _yield_the_cpu() -> None:
    """Give a pool thread the lowest CPU priority (Linux: a thread id is a process id to
    ``setpriority``), so the event loop and the database thread win a contended CPU: a charger's
    heartbeat then waits for no hash, even when hashes keep every core busy."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def default_workers() -> int:
    """Half the CPUs, at least one: hashing must leave room for the chargers' own messages."""
    return max(1, (os.cpu_count() or 2) // 2)


class PasswordChecks:
    """Password checks of connecting chargers: pooled, bounded, rate-limited and remembered."""

    def __init__(
        self,
        *,
        workers: int | None = None,
        max_pending: int | None = None,
        rate: float = 2.0,
        burst: int = 5,
        ttl: float = 60.0,
    ) -> None:
        workers = workers or default_workers()
        # A queue a few hashes deep per thread: a handshake waits seconds at most, not minutes.
        self.max_pending = max_pending or PENDING_PER_WORKER * workers
        self.limiter = HandshakeLimiter(rate=rate, burst=burst)
        self.verified = VerifiedPasswords(ttl=ttl)
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="ocpp-password", initializer=_yield_the_cpu
        )
        self._running: dict[tuple[str, bytes], asyncio.Future[tuple[bool, str]]] = {}

    async def check(self, *, ocpp_id: str, password: str, address: str) -> Verdict:
        digest = self.verified.digest(password)
        remembered = self.verified.known(ocpp_id, digest)
        if remembered is not None:
            current = await sync_to_async(chargers.charger_password_version)(ocpp_id=ocpp_id)
            if hmac.compare_digest(current, remembered):
                return Verdict.VALID
            self.verified.forget(ocpp_id)  # changed since: check this password afresh
        key = (ocpp_id, digest)
        running = self._running.get(key)
        if running is None:
            if not self.limiter.take(address):
                return Verdict.LIMITED
            if len(self._running) >= self.max_pending:
                return Verdict.BUSY  # still counts as an attempt: a flood soon meets the 429
            loop = asyncio.get_running_loop()
            running = loop.run_in_executor(self._pool, _check_in_pool, ocpp_id, password)
            self._running[key] = running
            running.add_done_callback(lambda _: self._running.pop(key, None))
            # Only the handshake that started the hash pays for it (or is paid back).
            valid, version = await asyncio.shield(running)
            if valid:
                self.limiter.give_back(address)
                self.verified.remember(ocpp_id, digest, version)
            return Verdict.VALID if valid else Verdict.INVALID
        # shield: one handshake timing out must not cancel the hash the others wait for
        valid, _version = await asyncio.shield(running)
        return Verdict.VALID if valid else Verdict.INVALID

    def close(self) -> None:
        # A hash already running finishes and closes its own database connection.
        self._pool.shutdown(wait=False, cancel_futures=True)
