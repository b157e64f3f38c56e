"""The load of the OCPP benchmark: the chargers and the attackers, speaking OCPP 2.0.1 over raw
websockets. ``Load`` connects every charger from a loopback address of its own (at most
``CONNECTING_AT_ONCE`` at a time, honouring ``Retry-After``), boots it and times its heartbeats
per ``Phase``; ``attack_in_process`` sends the bad handshakes from a process of its own. Nothing
here imports Django, so the spawned attacker process starts without settings.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import multiprocessing
import random
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

PASSWORD = "bench-charger-secret-0001"  # noqa: S105 - the throwaway database's chargers
PROTOCOL = "ocpp2.0.1"
CONNECTING_AT_ONCE = 8
CONNECT_DEADLINE = 300.0


def loopback(block: int, n: int) -> str:
    """The n-th address of a block of 127/8 (all of it is this machine on Linux)."""
    return f"127.{block}.{n // 250}.{n % 250 + 1}"


def own_addresses_work() -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((loopback(1, 0), 0))
        except OSError:
            return False
    return True


@dataclass
class Phase:
    name: str
    heartbeats: list[float] = field(default_factory=list)  # round trips, seconds
    bad: Counter[str] = field(default_factory=Counter)
    lost: int = 0  # heartbeats without an answer (connection dropped or timed out)


class Load:
    """The chargers and the attackers, on one event loop in the driver process."""

    def __init__(self, *, port: int, ids: list[str], options: dict[str, Any]) -> None:
        self.port = port
        self.url = f"ws://127.0.0.1:{port}/ocpp/"
        self.ids, self.options = ids, options
        self.own_addresses = own_addresses_work()
        self.message_ids = itertools.count()
        self.phase = Phase("connect")

    def _local(self, block: int, n: int) -> dict[str, Any]:
        return {"local_addr": (loopback(block, n), 0)} if self.own_addresses else {}

    async def _open(self, ocpp_id: str, password: str, local: dict[str, Any]) -> Any:
        from websockets.asyncio.client import connect
        from websockets.headers import build_authorization_basic
        from websockets.typing import Subprotocol

        return await connect(
            self.url + ocpp_id,
            subprotocols=[Subprotocol(PROTOCOL)],
            additional_headers={"Authorization": build_authorization_basic(ocpp_id, password)},
            open_timeout=20,
            ping_interval=None,
            **local,
        )

    async def _request(self, ws: Any, action: str, payload: dict[str, Any]) -> float:
        unique_id = f"b{next(self.message_ids)}"
        started = time.perf_counter()
        await ws.send(json.dumps([2, unique_id, action, payload]))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if frame[1] == unique_id:
                return time.perf_counter() - started

    async def _connect(self, n: int, gate: asyncio.Semaphore) -> Any:
        from websockets.exceptions import InvalidStatus, WebSocketException

        deadline = time.monotonic() + CONNECT_DEADLINE
        while time.monotonic() < deadline:
            async with gate:
                try:
                    ws = await self._open(self.ids[n], PASSWORD, self._local(1, n))
                except InvalidStatus as refused:
                    wait = float(refused.response.headers.get("Retry-After", "1"))
                except (OSError, TimeoutError, WebSocketException):
                    wait = 1.0
                else:
                    boot = {
                        "chargingStation": {"model": "Bench", "vendorName": "Wisselstroom"},
                        "reason": "PowerUp",
                    }
                    await self._request(ws, "BootNotification", boot)
                    return ws
            await asyncio.sleep(wait * random.uniform(1.0, 1.5))  # jitter
        return None

    async def _heartbeats(self, ws: Any, stop: float) -> None:
        interval = self.options["interval"]
        await asyncio.sleep(random.uniform(0, interval))  # stagger
        while time.monotonic() < stop:
            phase = self.phase
            try:
                phase.heartbeats.append(await self._request(ws, "Heartbeat", {}))
            except Exception:
                phase.lost += 1
                return
            await asyncio.sleep(interval)

    async def _bad_handshake(self, k: int, phase: Phase) -> None:
        from websockets.exceptions import InvalidStatus

        known = k % 2 == 0
        ocpp_id = self.ids[k % len(self.ids)] if known else f"nobody-{k:06d}"
        local = self._local(2, k % self.options["bad_sources"])
        try:
            ws = await self._open(ocpp_id, f"wrong-password-{k:06d}", local)
        except InvalidStatus as refused:
            phase.bad[str(refused.response.status_code)] += 1
        except Exception as exc:
            phase.bad[type(exc).__name__] += 1
        else:
            phase.bad["101"] += 1
            await ws.close()

    async def attack(self, seconds: float) -> Counter[str]:
        """The bad handshakes, for ``seconds``: how each was answered."""
        phase = Phase("attack")
        await self._attack(time.monotonic() + seconds, phase)
        return phase.bad

    async def _attack(self, stop: float, phase: Phase) -> None:
        rate = self.options["bad_rate"]
        if rate <= 0:
            return
        tasks: set[asyncio.Task[None]] = set()
        started = time.monotonic()
        for k in itertools.count():
            due = started + k / rate
            if due >= stop:
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            task = asyncio.create_task(self._bad_handshake(k, phase))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)

    async def _phase(self, name: str, sockets: list[Any], *, attack: bool) -> Phase:
        seconds = self.options["seconds"]
        attacker = None
        if attack:
            # Attackers are not on the chargers' machine: a process of their own, so their
            # handshakes do not queue up on the loop that times the heartbeats.
            context = multiprocessing.get_context("spawn")
            results: Any = context.Queue()
            attacker = context.Process(
                target=attack_in_process, args=(self.port, self.ids, self.options, results)
            )
            attacker.start()
            await asyncio.to_thread(results.get, True, 60)  # started
        self.phase = phase = Phase(name)
        stop = time.monotonic() + seconds
        await asyncio.gather(*(self._heartbeats(ws, stop) for ws in sockets))
        if attacker is not None:
            phase.bad = await asyncio.to_thread(results.get, True, 60)
            attacker.join(10)
        return phase

    async def run(self) -> tuple[list[Phase], int, float]:
        gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
        started = time.monotonic()
        opened = await asyncio.gather(*(self._connect(n, gate) for n in range(len(self.ids))))
        connect_seconds = time.monotonic() - started
        sockets = [ws for ws in opened if ws is not None]
        try:
            phases = [
                await self._phase("quiet", sockets, attack=False),
                await self._phase("attack", sockets, attack=True),
            ]
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        return phases, len(sockets), connect_seconds


def attack_in_process(port: int, ids: list[str], options: dict[str, Any], results: Any) -> None:
    """The attack phase's bad handshakes, in a process of their own; answers go to ``results``."""
    results.put("started")
    load = Load(port=port, ids=ids, options=options)
    results.put(asyncio.run(load.attack(options["seconds"])))
