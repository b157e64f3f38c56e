"""``manage.py bench_ocpp``: heartbeats of connected chargers while bad handshakes pour in.

It needs PostgreSQL (``DATABASE_URL``, or the local server at 127.0.0.1:5432). It creates its own
database (``--database``, dropped afterwards unless ``--keep``), and in a driver process (the
command itself with ``DATABASE_URL`` pointing there) migrates it, seeds one hub with
``--chargers`` chargers sharing one password hashed by the project's real hasher, and starts the
real ``manage.py run_ocpp`` on a free port. Then, with raw websockets speaking OCPP 2.0.1:

1. every charger connects from a loopback address of its own (as chargers each have their own
   IP), at most 8 at a time, retrying on 429/503 after ``Retry-After``, and boots;
2. *quiet*: for ``--seconds`` every charger sends a Heartbeat every ``--interval`` seconds
   (staggered) and times the round trip;
3. *attack*: the same, while ``--bad-rate`` handshakes a second arrive with wrong passwords
   (half for known ids, half for unknown ones) from ``--bad-sources`` other addresses, sent by
   a process of its own (attackers do not share the chargers' machine).

Printed: per phase the connected chargers, heartbeat round-trip p50/p95/max and how the bad
handshakes were answered. Target (issue 16): heartbeat p95 <= 200 ms under attack, and every
charger connected. Bad input exits 2 with one line.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, LiteralString
from urllib.parse import urlsplit, urlunsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

ROOT = Path(__file__).resolve().parents[3]
LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
PASSWORD = "bench-charger-secret-0001"  # noqa: S105 - the throwaway database's chargers
PROTOCOL = "ocpp2.0.1"
CONNECTING_AT_ONCE = 8
CONNECT_DEADLINE = 300.0
TARGET_P95_MS = 200.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


class Command(BaseCommand):
    help = "Benchmark heartbeat round trips of connected OCPP chargers under bad handshakes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chargers", type=int, default=200)
        parser.add_argument("--seconds", type=float, default=20.0, help="per phase")
        parser.add_argument("--interval", type=float, default=2.0, help="between heartbeats")
        parser.add_argument("--bad-rate", type=float, default=50.0, help="bad handshakes/s")
        parser.add_argument("--bad-sources", type=int, default=10, help="addresses they use")
        parser.add_argument("--database", default="wisselstroom_bench_ocpp")
        parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
        parser.add_argument("--driver", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        self._validate(options)
        if options["driver"]:
            self._drive(options)
            return
        database = os.environ.get("DATABASE_URL") or LOCAL_POSTGRES
        parts = urlsplit(database)
        if not parts.scheme.startswith("postgres"):
            raise CommandError("bench_ocpp needs PostgreSQL (DATABASE_URL)", returncode=2)
        name = options["database"]
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        self._admin(admin_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
        self._admin(admin_url, "CREATE DATABASE {}", name)
        argv = [sys.executable, "manage.py", "bench_ocpp", "--driver"]
        for key in ("chargers", "seconds", "interval", "bad_rate", "bad_sources"):
            argv += [f"--{key.replace('_', '-')}", str(options[key])]
        env = {
            **os.environ,
            "DATABASE_URL": urlunsplit(parts._replace(path="/" + name)),
            "LOG_LEVEL": "WARNING",
            "CELERY_TASK_ALWAYS_EAGER": "true",
        }
        try:
            driver = subprocess.Popen(  # noqa: S603 - our own command
                argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
            )
            assert driver.stdout is not None
            for line in driver.stdout:
                self.stdout.write(line.rstrip("\n"))
            if driver.wait():
                raise CommandError("the benchmark driver failed", returncode=driver.returncode)
        finally:
            if not options["keep"]:
                self._admin(admin_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)

    @staticmethod
    def _validate(options: dict[str, Any]) -> None:
        problems = [
            (not 1 <= options["chargers"] <= 10_000, "--chargers: 1 to 10000"),
            (not 0 < options["seconds"] <= 3600, "--seconds: more than 0, at most 3600"),
            (not 0 < options["interval"] <= 600, "--interval: more than 0, at most 600"),
            (not 0 <= options["bad_rate"] <= 1000, "--bad-rate: 0 to 1000"),
            (not 1 <= options["bad_sources"] <= 10_000, "--bad-sources: 1 to 10000"),
            (not DATABASE_NAME.match(options["database"]), "--database: a plain lowercase name"),
        ]
        for wrong, message in problems:
            if wrong:
                raise CommandError(message, returncode=2)

    @staticmethod
    def _admin(url: str, statement: LiteralString, name: str) -> None:
        import psycopg
        from psycopg import sql

        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                conn.execute(sql.SQL(statement).format(sql.Identifier(name)))
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CommandError(f"PostgreSQL: {first}", returncode=2) from None

    # --- The driver: DATABASE_URL is the benchmark's own database -----------------------------

    def _drive(self, options: dict[str, Any]) -> None:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        ids = self._seed(options["chargers"])
        port = free_port()
        with tempfile.TemporaryFile("w+") as log:
            server = subprocess.Popen(  # noqa: S603 - our own command
                [sys.executable, "manage.py", "run_ocpp", "--port", str(port)],
                cwd=ROOT,
                stdout=log,
                stderr=log,
            )
            try:
                self._wait_for(port, server)
                phases, connected, connect_seconds = asyncio.run(
                    Load(port=port, ids=ids, options=options).run()
                )
            finally:
                server.terminate()
                server.wait(30)
            log.seek(0)
            log_lines = sum(1 for _ in log)
        self._report(options, phases, connected, connect_seconds, log_lines)

    def _seed(self, count: int) -> list[str]:
        from django.contrib.auth.hashers import make_password

        from energy.models import Charger
        from sharing.models import Bay, Hub

        hub = Hub.objects.create(name="OCPP bench hub", slug="ocppbench")
        bays = Bay.objects.bulk_create(Bay(hub=hub, label=f"B{n:04d}") for n in range(count))
        encoded = make_password(PASSWORD)  # once: each charger is still checked at connect
        chargers = Charger.objects.bulk_create(
            Charger(
                bay=bay,
                ocpp_id=f"bench-{n:04d}",
                ac_charge_kw=Decimal(11),
                ac_discharge_kw=Decimal(11),
                auth_password_hash=encoded,
            )
            for n, bay in enumerate(bays)
        )
        return [c.ocpp_id for c in chargers]

    @staticmethod
    def _wait_for(port: int, server: subprocess.Popen[Any]) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError("run_ocpp ended before it listened", returncode=1)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise CommandError("run_ocpp did not listen within 30 s", returncode=1)

    def _report(
        self,
        options: dict[str, Any],
        phases: list[Phase],
        connected: int,
        connect_seconds: float,
        log_lines: int,
    ) -> None:
        total = options["chargers"]
        self.stdout.write(
            f"{total} chargers ({PROTOCOL}), heartbeat every {options['interval']:g} s, "
            f"{options['seconds']:g} s per phase; attack: {options['bad_rate']:g} bad "
            f"handshakes/s from {options['bad_sources']} addresses"
        )
        self.stdout.write(f"connected {connected}/{total} in {connect_seconds:.1f} s")
        self.stdout.write(
            f"{'phase':<7} {'heartbeats':>10} {'lost':>5} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'max ms':>8} {'bad':>5} {'401':>5} {'429':>5} {'503':>5} {'other':>5}"
        )
        for phase in phases:
            ms = [s * 1000 for s in phase.heartbeats]
            bad = phase.bad
            other = sum(bad.values()) - bad["401"] - bad["429"] - bad["503"]
            self.stdout.write(
                f"{phase.name:<7} {len(ms):>10} {phase.lost:>5} {percentile(ms, 0.5):>8.1f} "
                f"{percentile(ms, 0.95):>8.1f} {max(ms, default=float('nan')):>8.1f} "
                f"{sum(bad.values()):>5} {bad['401']:>5} {bad['429']:>5} {bad['503']:>5} "
                f"{other:>5}"
            )
        for phase in phases:
            others = {k: v for k, v in phase.bad.items() if k not in {"401", "429", "503"}}
            if others:
                shown = ", ".join(f"{k} {v}" for k, v in sorted(others.items()))
                self.stdout.write(f"{phase.name}: other outcomes of bad handshakes: {shown}")
        attack = phases[-1].heartbeats
        p95 = percentile([s * 1000 for s in attack], 0.95)
        met = p95 <= TARGET_P95_MS and connected == total
        self.stdout.write(
            f"target: heartbeat p95 <= {TARGET_P95_MS:.0f} ms under attack and all connected: "
            f"{'met' if met else 'MISSED'}; the server logged {log_lines} lines"
        )


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
