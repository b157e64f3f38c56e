"""The driver of the OCPP benchmark, run in a process of its own whose ``DATABASE_URL`` is the
benchmark's throwaway database: it migrates that database, seeds one hub with the chargers
(one password, hashed once by the project's real hasher), starts the real ``manage.py run_ocpp``
on a free port, lets ``bench.ocpp.load.Load`` connect and time them, and prints the report
(per phase: heartbeats, round-trip p50/p95/max, how the bad handshakes were answered, and the
issue 16 target).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from bench.measure import free_port, percentile
from bench.ocpp.load import PASSWORD, PROTOCOL, Load, Phase

ROOT = Path(__file__).resolve().parents[2]
TARGET_P95_MS = 200.0


def drive(options: dict[str, Any], out: Callable[[str], Any]) -> None:
    """Migrate, seed, serve, load and report (`out` writes one line)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    ids = seed(options["chargers"])
    port = free_port()
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "manage.py", "run_ocpp", "--port", str(port)],
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        try:
            wait_for(port, server)
            phases, connected, connect_seconds = asyncio.run(
                Load(port=port, ids=ids, options=options).run()
            )
        finally:
            server.terminate()
            server.wait(30)
        log.seek(0)
        log_lines = sum(1 for _ in log)
    report(out, options, phases, connected, connect_seconds, log_lines)


def seed(count: int) -> list[str]:
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


def wait_for(port: int, server: subprocess.Popen[Any]) -> None:
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


def report(
    out: Callable[[str], Any],
    options: dict[str, Any],
    phases: list[Phase],
    connected: int,
    connect_seconds: float,
    log_lines: int,
) -> None:
    total = options["chargers"]
    out(
        f"{total} chargers ({PROTOCOL}), heartbeat every {options['interval']:g} s, "
        f"{options['seconds']:g} s per phase; attack: {options['bad_rate']:g} bad "
        f"handshakes/s from {options['bad_sources']} addresses"
    )
    out(f"connected {connected}/{total} in {connect_seconds:.1f} s")
    out(
        f"{'phase':<7} {'heartbeats':>10} {'lost':>5} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'max ms':>8} {'bad':>5} {'401':>5} {'429':>5} {'503':>5} {'other':>5}"
    )
    for phase in phases:
        ms = [s * 1000 for s in phase.heartbeats]
        bad = phase.bad
        other = sum(bad.values()) - bad["401"] - bad["429"] - bad["503"]
        out(
            f"{phase.name:<7} {len(ms):>10} {phase.lost:>5} {percentile(ms, 0.5):>8.1f} "
            f"{percentile(ms, 0.95):>8.1f} {max(ms, default=float('nan')):>8.1f} "
            f"{sum(bad.values()):>5} {bad['401']:>5} {bad['429']:>5} {bad['503']:>5} "
            f"{other:>5}"
        )
    for phase in phases:
        others = {k: v for k, v in phase.bad.items() if k not in {"401", "429", "503"}}
        if others:
            shown = ", ".join(f"{k} {v}" for k, v in sorted(others.items()))
            out(f"{phase.name}: other outcomes of bad handshakes: {shown}")
    attack = phases[-1].heartbeats
    p95 = percentile([s * 1000 for s in attack], 0.95)
    met = p95 <= TARGET_P95_MS and connected == total
    out(
        f"target: heartbeat p95 <= {TARGET_P95_MS:.0f} ms under attack and all connected: "
        f"{'met' if met else 'MISSED'}; the server logged {log_lines} lines"
    )
