"""Load test of availability and booking through the real HTTP stack.

Creates a throwaway PostgreSQL database, migrates it, seeds a hub with 200 cars and 5,000 future
bookings, starts gunicorn on a free port against it (three sync workers by default, as the
Dockerfile runs it) and lets 20 concurrent clients (API tokens, ``http.client``) each ask for
availability and then book what was offered. Three passes:

1. *stress*: every client sends its next request as soon as the last one is answered. With 20
   clients in a closed loop a client's latency is at least 20 / throughput (Little's law), so
   this pass measures capacity and the server's own time per request under full load.
2. *user pace*: the same clients with a think time between requests (``--think-ms``), as people
   click.
3. *rate sweep*: open loop, each client sends at random (Poisson) times at a fixed total rate,
   rising step by step; a request's latency counts from when it was due, so a server that falls
   behind is charged for the wait. The highest rate whose p95 still meets the targets is the
   sustainable rate.

Each pass prints latencies as the clients see them and as the server measured them (gunicorn's
request time). Afterwards: the feasibility check's own time per booking, and (in SQL) that no
car is double-booked.

With Redis (``REDIS_URL``, or the local server if it answers) the server runs as in production:
the workers share the car cache and Celery tasks (mails, re-plans) are only queued on a broker;
both use Redis database 13, which no worker consumes, and the benchmark's keys there are deleted
afterwards. Without Redis tasks run in the request.

The command parses the arguments, creates and drops the database and runs the passes; the
seeding, the server, the clients and the report are the modules of ``bench.bookings``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, connections
from django.utils import timezone

from bench.bookings.load import run_pass, run_sweep
from bench.bookings.pacing import Pacer, Pass
from bench.bookings.report import report
from bench.bookings.seed import seed
from bench.bookings.server import Gunicorn
from sharing.models import Booking, Vehicle


class Command(BaseCommand):
    help = "Benchmark availability and booking over HTTP against a throwaway database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--vehicles", type=int, default=200)
        parser.add_argument("--bookings", type=int, default=5000)
        parser.add_argument("--clients", type=int, default=20)
        parser.add_argument(
            "--requests", type=int, default=30, help="per client, in the stress and pace passes"
        )
        parser.add_argument(
            "--think-ms",
            type=int,
            default=1000,
            help="mean pause between two requests of a client in the user-pace pass (0: skip it)",
        )
        parser.add_argument(
            "--rates",
            default="auto",
            help="total requests/s of the open-loop sweep, comma-separated; 'auto': steps of "
            "10/s up to the stress pass's throughput, stopping at the first that misses; "
            "'none': skip the sweep",
        )
        parser.add_argument("--step-seconds", type=float, default=12, help="per sweep step")
        # As the Dockerfile and docker-compose.yml run it: three sync workers.
        parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
        parser.add_argument(
            "--threads", type=int, default=1, help="threads per worker (more than 1: gthread)"
        )
        parser.add_argument("--database", default="wisselstroom_bench")
        parser.add_argument("--keep", action="store_true", help="keep the database afterwards")

    def handle(self, *args: Any, **opts: Any) -> None:
        default = connections["default"].settings_dict
        if default["ENGINE"] != "django.db.backends.postgresql":
            raise SystemExit("bench_bookings needs PostgreSQL (set DATABASE_URL)")
        name = opts["database"]
        admin_dsn = (
            f"host={default['HOST'] or '127.0.0.1'} port={default['PORT'] or 5432} "
            f"user={default['USER']} dbname=postgres"
            + (f" password={default['PASSWORD']}" if default.get("PASSWORD") else "")
        )
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        original = default["NAME"]
        connection.close()
        default["NAME"] = name
        try:
            self._run(opts, name)
        finally:
            connection.close()
            default["NAME"] = original
            if not opts["keep"]:
                with psycopg.connect(admin_dsn, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _run(self, opts: dict[str, Any], name: str) -> None:
        call_command("migrate", verbosity=0)
        now = timezone.now()
        hub, tokens = seed(opts, now)
        self.stdout.write(
            f"seeded {Vehicle.objects.count()} vehicles, {Booking.objects.count()} bookings "
            f"into database {name}"
        )
        server = Gunicorn(opts, name, self.stdout.write)
        passes: list[Pass] = []
        sweep: list[tuple[float, Pass]] = []
        try:
            server.wait_until_up()
            base = hub.floor_to_slot(now.astimezone(hub.tz)) + timedelta(days=1)
            stress = run_pass(
                self.stdout.write,
                "stress: back to back (closed loop, no think time)",
                opts,
                server,
                tokens,
                base,
                lambda i: Pacer(1000 + i, requests=opts["requests"]),
                seed=0,
            )
            passes.append(stress)
            if opts["think_ms"]:
                passes.append(
                    run_pass(
                        self.stdout.write,
                        f"user pace: think time {opts['think_ms']} ms mean (0 to "
                        f"{2 * opts['think_ms']} ms) between requests",
                        opts,
                        server,
                        tokens,
                        base,
                        lambda i: Pacer(
                            2000 + i, think_ms=opts["think_ms"], requests=opts["requests"]
                        ),
                        seed=100,
                    )
                )
            sweep = run_sweep(self.stdout.write, opts, server, tokens, base, stress.rate)
        finally:
            server.stop()
        report(self.stdout.write, opts, hub, now, passes, sweep)
