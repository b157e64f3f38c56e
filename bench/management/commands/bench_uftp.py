"""``manage.py bench_uftp``: one grid operator (DSO) trading with 20 hubs over UFTP for a
simulated day, against the real ``run_uftp``, real Celery workers, Redis and PostgreSQL.

It needs PostgreSQL (``DATABASE_URL``, or the local server at 127.0.0.1:5432) and Redis
(``REDIS_URL``, or 127.0.0.1:6379); it creates its own database (``--database``, dropped
afterwards unless ``--keep``) and uses Redis database 11 only (emptied first). Either one
unreachable: exit 2 with one line. In a driver process (this command with ``DATABASE_URL`` and
``REDIS_URL`` pointing there) it migrates, seeds ``--hubs`` hubs (each ``--cars`` cars at
bidirectional chargers, ``--bookings`` bookings over the next day, a site with its own EAN and
the DSO, the demo's flexibility prices), starts ``run_uftp`` on a free loopback port and
``--workers`` Celery workers, and has every hub planned once. The DSO is ``shapeshifter-uftp``'s
own DSO service (on another free port) and client, with a key pair of its own.

What "60x speed" means: the plans, offers and orders are about real future ISPs on the real
clock; only the DSO's cadence is sped up. Every simulated 15 minutes (``900 / --speed`` real
seconds: 15 s at 60x) it sends every hub a FlexRequest for less import in the ``--window``
ISPs starting at the next ISP of the simulated day, which begins ``--lead`` ISPs after the
current one; ``--hours`` simulated hours (24: 96 rounds, 24 real minutes at 60x; ``--quick``:
one hour) and then up to ``--settle`` seconds for the last answers and plans. Offers of every
other hub each round (``--order-every``) are ordered in full, the rest turned down; every
``--duplicate-every``-th order is sent twice at once with the same MessageID.

Printed: requests and how they were answered, offers and request-to-offer p50/p95/max, orders,
order-to-plan p50/p95/max (until the hub's current plan carries the order's band), duplicates
sent and applied once, orders applied twice and lost, ``check_plan``'s promise violations of
every hub's final plan, and PASS/FAIL per target of issue 13 (offers p95 <= 2 s, orders to new
plan p95 <= 10 s, zero promise violations, zero orders lost or applied twice). The driver is
``bench.uftp.driver``; see ``bench.uftp.report`` for exactly what is counted.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
from typing import Any, LiteralString
from urllib.parse import urlsplit, urlunsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
REDIS_DB = 11
DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
PASSED = ("hubs", "cars", "bookings", "workers", "speed", "rounds", "window", "lead",
          "order_every", "duplicate_every", "settle", "slots", "json")  # fmt: skip


class Command(BaseCommand):
    help = "Benchmark a DSO's FlexRequests and FlexOrders against run_uftp and real workers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hubs", type=int, default=20)
        parser.add_argument("--cars", type=int, default=6, help="per hub")
        parser.add_argument("--bookings", type=int, default=8, help="per hub")
        parser.add_argument("--workers", type=int, default=2, help="Celery workers")
        parser.add_argument("--speed", type=float, default=60.0, help="simulated / real time")
        parser.add_argument("--hours", type=float, default=24.0, help="simulated hours")
        parser.add_argument("--quick", action="store_true", help="one simulated hour")
        parser.add_argument("--window", type=int, default=4, help="ISPs per FlexRequest")
        parser.add_argument("--lead", type=int, default=4, help="ISPs before the day starts")
        parser.add_argument("--order-every", type=int, default=2, help="order 1 offer in N")
        parser.add_argument("--duplicate-every", type=int, default=3, help="1 order in N twice")
        parser.add_argument("--settle", type=float, default=120.0, help="s to wait at the end")
        parser.add_argument("--slots", type=int, default=192, help="plan horizon (15 min)")
        parser.add_argument("--time-limit", type=int, default=None, help="solver s per plan")
        parser.add_argument("--json", default="", help="also write the results to this file")
        parser.add_argument("--database", default="wisselstroom_bench_uftp")
        parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
        parser.add_argument("--rounds", type=int, default=0, help=argparse.SUPPRESS)
        parser.add_argument("--driver", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["quick"]:
            options["hours"] = 1.0
        options["rounds"] = options["rounds"] or math.ceil(options["hours"] * 4)
        self._validate(options)
        if options["driver"]:
            from bench.uftp.driver import drive

            drive(options, self.stdout.write)
            return
        database = os.environ.get("DATABASE_URL") or LOCAL_POSTGRES
        parts = urlsplit(database)
        if not parts.scheme.startswith("postgres"):
            raise CommandError("bench_uftp needs PostgreSQL (DATABASE_URL)", returncode=2)
        redis_url = self._redis((os.environ.get("REDIS_URL") or LOCAL_REDIS).rsplit("/", 1)[0])
        name = options["database"]
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        self._admin(admin_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
        self._admin(admin_url, "CREATE DATABASE {}", name)
        argv = [sys.executable, "manage.py", "bench_uftp", "--driver"]
        for key in PASSED:
            argv += [f"--{key.replace('_', '-')}", str(options[key])]
        env = {
            **os.environ,
            "DATABASE_URL": urlunsplit(parts._replace(path="/" + name)),
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": "uftpbench",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DISPATCH_HORIZON_SLOTS": str(options["slots"]),
            "EMAIL_URL": "locmem://",
            "LOG_LEVEL": "WARNING",
            "UFTP_LOG_LEVEL": "ERROR",
        }
        env.pop("TEST_DATABASE_NAME", None)
        if options["time_limit"]:
            env["DISPATCH_TIME_LIMIT_SECONDS"] = str(options["time_limit"])
        from bench.uftp.driver import ROOT

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
            (not 1 <= options["hubs"] <= 500, "--hubs: 1 to 500"),
            (not 1 <= options["cars"] <= 100, "--cars: 1 to 100"),
            (not 0 <= options["bookings"] <= 1000, "--bookings: 0 to 1000"),
            (not 1 <= options["workers"] <= 16, "--workers: 1 to 16"),
            (not 1 <= options["speed"] <= 3600, "--speed: 1 to 3600"),
            (not 0 < options["hours"] <= 24, "--hours: more than 0, at most 24"),
            (not 1 <= options["window"] <= 96, "--window: 1 to 96"),
            (not 1 <= options["lead"] <= 48, "--lead: 1 to 48"),
            (options["order_every"] < 1, "--order-every: at least 1"),
            (options["duplicate_every"] < 0, "--duplicate-every: 0 (none) or more"),
            (not 0 <= options["settle"] <= 3600, "--settle: 0 to 3600"),
            (
                options["slots"] < options["lead"] + options["rounds"] + options["window"] + 1,
                "--slots: the plans must cover the whole simulated day (lead + rounds + window)",
            ),
            (not DATABASE_NAME.match(options["database"]), "--database: a plain lowercase name"),
        ]
        for wrong, message in problems:
            if wrong:
                raise CommandError(message, returncode=2)

    @staticmethod
    def _redis(base: str) -> str:
        import redis

        url = f"{base}/{REDIS_DB}"
        try:
            redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
        except (redis.RedisError, OSError) as exc:
            raise CommandError(f"Redis {base}: {exc}".splitlines()[0], returncode=2) from None
        return url

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
