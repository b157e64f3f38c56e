"""A real OCPP central system on a free port, and real charge points to talk to it.

The server runs its own asyncio loop in a thread and reaches the database through Django's
thread-sensitive executor, so these tests use committed data (``transaction=True``). Each
scenario of a charge point runs with ``asyncio.run`` in the test's thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.hashers import make_password
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v21 import ChargePoint as ChargePoint21
from ocpp.v21 import call_result as result21
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201
from websockets.asyncio.client import connect
from websockets.headers import build_authorization_basic
from websockets.typing import Subprotocol

from energy.models import Charger
from energy.ocpp.server import CentralSystem
from sharing.models import Hub
from tests.energy.conftest import make_hub

PASSWORD = "bay-charger-secret-0001"


@dataclass
class RunningServer:
    system: CentralSystem
    loop: asyncio.AbstractEventLoop
    port: int

    def url(self, ocpp_id: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp/{ocpp_id}"

    async def on_server(self, coro: Any) -> Any:
        """Await ``coro`` (e.g. a round of set-points) on the server's own loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def replans():
    """A charge reading may ask for a re-plan; the solver is not what these tests are about."""
    with mock.patch("energy.services.vehicle_state.replan_request") as replan:
        yield replan


@pytest.fixture
def ocpp_hub(transactional_db, fast_hashing) -> Hub:
    """Three shared cars on bays B00-B02 (B03 free), every charger with the same password."""
    hub = make_hub("ocpphub", cars=3)
    Charger.objects.filter(bay__hub=hub).update(auth_password_hash=make_password(PASSWORD))
    return hub


@pytest.fixture
def ocpp_server(transactional_db, fast_hashing, replans) -> Iterator[RunningServer]:
    system = CentralSystem(boot_grace_seconds=0.5, response_timeout=5)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="ocpp-test-server", daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(system.start("127.0.0.1", 0), loop).result(10)
    port = server.sockets[0].getsockname()[1]
    try:
        yield RunningServer(system=system, loop=loop, port=port)
    finally:
        asyncio.run_coroutine_threadsafe(system.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def in_fresh_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` in a thread of its own, its result or exception returned here.

    A charge point's scenario (``asyncio.run``) and the commands that start an event loop need a
    thread without one: Playwright's sync API (tests/browser, a session fixture) leaves an event
    loop running in the main thread for the rest of the session. The thread's own database
    connection is closed before it ends, so the test database can be dropped afterwards.
    """
    from django.db import connections

    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn(*args, **kwargs)
        except BaseException as exc:
            box["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name="ocpp-test-client")
    thread.start()
    thread.join(120)
    if "error" in box:
        raise box["error"]
    return box.get("result")


def run(coro: Any) -> Any:
    """``asyncio.run(coro)`` in a fresh thread (see :func:`in_fresh_thread`)."""
    return in_fresh_thread(asyncio.run, coro)


def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll ``check`` until it returns something truthy (the server works in its own thread)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.02)


async def eventually_async(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """:func:`eventually` inside a charge point's scenario: each check (which may use the ORM)
    runs alone on Django's thread-sensitive thread, which the server needs between checks."""
    deadline = time.monotonic() + timeout
    while True:
        result = await sync_to_async(check)()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.02)


class _Recording:
    """Client side: every SetChargingProfile the central system sends is queued, and accepted."""

    def setup_recording(self) -> None:
        self.profiles: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def next_profile(self, timeout: float = 5.0) -> dict[str, Any]:
        return await asyncio.wait_for(self.profiles.get(), timeout)


class Client16(_Recording, ChargePoint16):
    @on("SetChargingProfile")
    def on_set_charging_profile(self, connector_id: int, cs_charging_profiles: dict, **kwargs):
        self.profiles.put_nowait({"connector_id": connector_id, **cs_charging_profiles})
        return result16.SetChargingProfile(status="Accepted")


class Client201(_Recording, ChargePoint201):
    @on("SetChargingProfile")
    def on_set_charging_profile(self, evse_id: int, charging_profile: dict, **kwargs):
        self.profiles.put_nowait({"evse_id": evse_id, **charging_profile})
        return result201.SetChargingProfile(status="Accepted")


class Client21(_Recording, ChargePoint21):
    @on("SetChargingProfile")
    def on_set_charging_profile(self, evse_id: int, charging_profile: dict, **kwargs):
        self.profiles.put_nowait({"evse_id": evse_id, **charging_profile})
        return result21.SetChargingProfile(status="Accepted")


CLIENTS = {"ocpp1.6": Client16, "ocpp2.0.1": Client201, "ocpp2.1": Client21}


@asynccontextmanager
async def charge_point(server: RunningServer, ocpp_id: str, protocol: str, password=PASSWORD):
    """A charge point of ``protocol`` connected as ``ocpp_id``, its message loop running."""
    async with connect(
        server.url(ocpp_id),
        subprotocols=[Subprotocol(protocol)],
        additional_headers={"Authorization": build_authorization_basic(ocpp_id, password)},
        open_timeout=5,
    ) as websocket:
        client: Any = CLIENTS[protocol](ocpp_id, websocket, response_timeout=5)
        client.setup_recording()
        loop_task = asyncio.create_task(client.start())
        try:
            yield client
        finally:
            loop_task.cancel()
