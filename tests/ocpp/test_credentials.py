"""Password checks of connecting chargers cannot stall the connected ones, nor each other.

Issue 16: 40 concurrent wrong-password handshakes held a connected charger's Heartbeat up for
seconds (hashing ran on the database thread every charger shares), and of 100 rapid valid
connections only 25 completed. These tests count hashes and order events instead of timing them.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from ocpp.v201 import call as call201
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.headers import build_authorization_basic
from websockets.typing import Subprotocol

from energy.models import Charger
from energy.services import chargers
from tests.ocpp.conftest import PASSWORD, charge_point, run

pytestmark = pytest.mark.django_db(transaction=True)

CONNECTED = 101


class Counting:
    """A stand-in for a hashing function that counts its calls (from any thread)."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real, self.calls, self._lock = real, 0, threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.calls += 1
        return self.real(*args, **kwargs)


@pytest.fixture
def hashes(monkeypatch) -> Counting:
    """Every password check a handshake costs (``check_password`` in the charger service)."""
    counting = Counting(chargers.check_password)
    monkeypatch.setattr(chargers, "check_password", counting)
    return counting


async def handshake(server, ocpp_id: str, password: str, *, timeout: float = 30) -> Any:
    """The HTTP status a handshake ends with (101: connected), and the refusal's response."""
    try:
        async with connect(
            server.url(ocpp_id),
            subprotocols=[Subprotocol("ocpp2.0.1")],
            additional_headers={"Authorization": build_authorization_basic(ocpp_id, password)},
            open_timeout=timeout,
        ):
            return CONNECTED, None
    except InvalidStatus as refused:
        return refused.response.status_code, refused.response


def test_a_password_check_does_not_hold_up_a_connected_chargers_heartbeat(
    ocpp_server, ocpp_hub, monkeypatch
):
    """A check that takes as long as it likes: the connected charger is still answered."""
    entered, release = threading.Event(), threading.Event()
    real = chargers.check_password

    def stuck(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(15)
        return real(*args, **kwargs)

    async def scenario():
        async with charge_point(ocpp_server, "ocpphub-B00", "ocpp2.0.1") as cp:
            monkeypatch.setattr(chargers, "check_password", stuck)
            attempt = asyncio.create_task(handshake(ocpp_server, "ocpphub-B01", "wrong-password-1"))
            try:
                assert await asyncio.to_thread(entered.wait, 5), "the check never started"
                heartbeat = await cp.call(call201.Heartbeat())
            finally:
                release.set()
            status, _ = await attempt
            return heartbeat, status

    heartbeat, status = run(scenario())

    assert heartbeat.current_time  # answered while the password check was still running
    assert status == 401


def test_a_burst_of_bad_handshakes_from_one_address_gets_429_before_any_hashing(
    ocpp_server, ocpp_hub, hashes
):
    async def scenario():
        return await asyncio.gather(
            *(handshake(ocpp_server, "ocpphub-B01", f"wrong-password-{n:02d}") for n in range(40))
        )

    results = run(scenario())

    statuses = Counter(status for status, _ in results)
    assert set(statuses) == {401, 429}
    assert statuses[429] >= 30  # a burst of 5 is let through, a few more as the bucket refills
    assert hashes.calls == statuses[401]  # a 429 costs no hash
    retry_after = {r.headers["Retry-After"] for status, r in results if status == 429}
    assert all(int(seconds) >= 1 for seconds in retry_after)


def test_an_unknown_id_still_costs_a_hash_every_time(ocpp_server, ocpp_hub, monkeypatch):
    made = Counting(chargers.make_password)
    monkeypatch.setattr(chargers, "make_password", made)

    async def scenario():
        return [await handshake(ocpp_server, "UNKNOWN-B99", PASSWORD) for _ in range(2)]

    results = run(scenario())

    assert [status for status, _ in results] == [401, 401]
    assert made.calls == 2  # as long as for a known charger, and never remembered


def test_a_remembered_password_admits_only_that_password(ocpp_server, ocpp_hub, hashes):
    async def scenario():
        return [
            (await handshake(ocpp_server, "ocpphub-B00", password))[0]
            for password in (PASSWORD, "not-the-password-at-all", PASSWORD, PASSWORD)
        ]

    assert run(scenario()) == [CONNECTED, 401, CONNECTED, CONNECTED]
    assert hashes.calls == 2  # the first connection and the wrong password; then remembered


def test_a_hundred_rapid_valid_connections_all_complete(ocpp_server, ocpp_hub, settings):
    """With the project's real (slow) hasher, as the probe had: one hash per charger."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    Charger.objects.filter(bay__hub=ocpp_hub).update(auth_password_hash=make_password(PASSWORD))
    ids = list(Charger.objects.filter(bay__hub=ocpp_hub).values_list("ocpp_id", flat=True))
    counting = Counting(chargers.check_password)

    async def scenario():
        return await asyncio.gather(
            *(handshake(ocpp_server, ids[n % len(ids)], PASSWORD) for n in range(100)),
            return_exceptions=True,
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(chargers, "check_password", counting)
        results = run(scenario())

    outcomes = Counter(r[0] if isinstance(r, tuple) else type(r).__name__ for r in results)
    assert outcomes == {CONNECTED: 100}
    assert counting.calls == len(ids)
