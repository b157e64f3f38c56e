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

The command parses and checks the arguments and creates and drops the database; the driver is
``bench.ocpp.driver`` and the chargers and attackers are ``bench.ocpp.load``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from typing import Any, LiteralString
from urllib.parse import urlsplit, urlunsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench.ocpp.driver import ROOT, drive

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


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
            drive(options, self.stdout.write)
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
