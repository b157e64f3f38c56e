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
"""

from __future__ import annotations

import http.client
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import redis
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, connections
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Household, User
from sharing import feasibility as fz
from sharing.car_cache import minute
from sharing.models import Booking, BookingStatus, Hub, Vehicle, VehicleModel
from sharing.snapshot import HOLDS_CAR, snapshot

H = timedelta(hours=1)
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
BENCH_REDIS_DB = 13  # 14: bench_orchestration, 15: the Celery worker test
TARGET_P95_MS = {"availability": 50.0, "create": 150.0}
KINDS = (("availability", "GET availability"), ("create", "POST booking"))


def need_from_row(
    pk: int,
    start: datetime,
    end: datetime,
    promised: int,
    expected: int,
    vehicle_id: int | None,
    status: str,
) -> fz.Need:
    # Plain strings: comparing with the TextChoices members is slow in this hot loop.
    bound = vehicle_id if status in HOLDS_CAR else None
    return fz.Need(pk, minute(start), minute(end), promised, expected, bound)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def meets_targets(times: dict[str, list[float]]) -> bool:
    return all(
        times[kind] and percentile(times[kind], 0.95) <= limit
        for kind, limit in TARGET_P95_MS.items()
    )


@dataclass
class Pass:
    """What one pass measured: latencies per kind, as the clients and as the server saw them."""

    label: str
    client: dict[str, list[float]]
    server: dict[str, list[float]]
    codes: dict[str, dict[int, int]]
    wall: float

    @property
    def rate(self) -> float:
        return sum(len(v) for v in self.client.values()) / self.wall


class Pacer:
    """When a client sends its next request, and from when its latency counts.

    Closed loop (``think_ms``): a pause after each answer, latency from the send. Open loop
    (``rate``, requests per second for this client): Poisson send times fixed in advance,
    latency from when the request was due, so time spent waiting for the previous answer counts.
    """

    def __init__(
        self,
        seed: int,
        *,
        think_ms: float = 0,
        rate: float | None = None,
        requests: int | None = None,
        seconds: float | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.think_ms, self.rate = think_ms, rate
        self.requests, self.seconds = requests, seconds
        self.began = time.perf_counter()
        self.due = self.began
        self.upcoming: float | None = None
        self.sent = 0

    def more(self) -> bool:
        """Whether the client sends another request: within its count, and (open loop) due
        within its time."""
        if self.requests is not None and self.sent >= self.requests:
            return False
        if self.seconds is None:
            return True
        if self.rate is None:
            return time.perf_counter() - self.began < self.seconds
        return self._next_due() - self.began < self.seconds

    def _next_due(self) -> float:
        # Drawn once, so that the request sent is the one more() saw due in time.
        if self.upcoming is None:
            assert self.rate is not None
            self.upcoming = self.due + self.rng.expovariate(self.rate)
        return self.upcoming

    def wait(self) -> float:
        """Sleeps until the next request is due; returns the moment its latency counts from."""
        self.sent += 1
        if self.rate is None:
            if self.think_ms:
                time.sleep(self.rng.uniform(0, 2 * self.think_ms) / 1000)
            return time.perf_counter()
        due = self._next_due()
        self.due, self.upcoming = due, None
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        return due


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

    # --- seeding ------------------------------------------------------------------------------

    def _seed(self, opts: dict[str, Any], now: Any) -> tuple[Hub, list[str]]:
        rng = random.Random(7)
        hub = Hub.objects.create(
            name="Bench hub",
            slug="bench",
            max_concurrent_bookings_per_household=1000,
            max_hours_per_week_per_household=10_000,
        )
        model = VehicleModel.objects.create(
            make="Renault",
            model="5 E-Tech 52 kWh",
            usable_battery_kwh=Decimal(52),
            consumption_kwh_per_km=Decimal("0.150"),
            ac_charge_kw=Decimal(11),
            ac_discharge_kw=Decimal(11),
            max_promised_range_km=300,
        )
        vehicles = Vehicle.objects.bulk_create(
            Vehicle(plate=f"BN-{i:03d}", model=model, hub=hub) for i in range(opts["vehicles"])
        )
        residents = []
        for i in range(100):
            household = Household.objects.create(name=f"Bench {i}", address=f"Benchstraat {i}")
            residents.append(
                User.objects.create_user(
                    f"bench{i}@example.org",
                    secrets.token_urlsafe(12),
                    household=household,
                    email_confirmed_at=now,
                    licence_status="approved",
                    licence_expires_on=(now + timedelta(days=3650)).date(),
                )
            )
        tokens = [Token.objects.create(user=user).key for user in residents]
        # Feasible by construction: each car gets at most one daytime booking per day, a small
        # range, and charges full every night. 10% are already bound to that car.
        day0 = hub.floor_to_slot(now.astimezone(hub.tz)).replace(hour=0, minute=0) + timedelta(
            days=1
        )
        rows: list[Booking] = []
        per_car = -(-opts["bookings"] // len(vehicles))
        for vehicle in vehicles:
            days = rng.sample(range(hub.max_days_ahead - 1), per_car)
            for day in days:
                if len(rows) >= opts["bookings"]:
                    break
                start = day0 + timedelta(days=day, hours=rng.randint(7, 16))
                end = start + timedelta(hours=rng.randint(1, 4))
                km = rng.choice([20, 40, 60, 100])
                resident = rng.choice(residents)
                bound = rng.random() < 0.1
                rows.append(
                    Booking(
                        resident=resident,
                        household=resident.household,
                        hub=hub,
                        start=start,
                        end=end,
                        block_start=start - hub.buffer,
                        block_end=end + hub.buffer,
                        promised_range_km=km,
                        expected_km=km,
                        vehicle=vehicle if bound else None,
                        status=BookingStatus.BOUND if bound else BookingStatus.CONFIRMED,
                        price_estimate=Decimal("10.00"),
                    )
                )
        Booking.objects.bulk_create(rows, batch_size=1000)
        with connection.cursor() as cursor:
            # As autovacuum would soon: without statistics the planner guesses badly.
            cursor.execute("ANALYZE")
        return hub, tokens

    # --- the load -----------------------------------------------------------------------------

    def _run(self, opts: dict[str, Any], name: str) -> None:
        call_command("migrate", verbosity=0)
        now = timezone.now()
        hub, tokens = self._seed(opts, now)
        self.stdout.write(
            f"seeded {Vehicle.objects.count()} vehicles, {Booking.objects.count()} bookings "
            f"into database {name}"
        )
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{connection.settings_dict['USER']}@"
            f"{connection.settings_dict['HOST'] or '127.0.0.1'}:"
            f"{connection.settings_dict['PORT'] or 5432}/{name}",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            "EMAIL_URL": "locmem://",
        }
        env.pop("REDIS_URL", None)
        redis_url = (os.environ.get("REDIS_URL") or LOCAL_REDIS).rsplit("/", 1)[0]
        bench_redis: str | None = None
        prefix = f"bench-{name}-{port}"
        if self._answers(redis_url):
            bench_redis = f"{redis_url}/{BENCH_REDIS_DB}"
            env["REDIS_URL"] = bench_redis
            env["CACHE_KEY_PREFIX"] = prefix
            env["CELERY_TASK_ALWAYS_EAGER"] = "false"
            self.stdout.write(
                f"Redis {bench_redis}: shared car cache; mails and re-plans queued, not run"
            )
        else:
            env["CELERY_TASK_ALWAYS_EAGER"] = "true"
            self.stdout.write("no Redis: car cache per process; mails and re-plans in the request")
        log_path = Path(tempfile.gettempdir()) / f"bench_bookings_{port}.log"
        self.access_path = Path(tempfile.gettempdir()) / f"bench_bookings_{port}.access.log"
        self.stdout.write(f"gunicorn log: {log_path}, requests: {self.access_path}")
        log = log_path.open("w")
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(opts["workers"]),
                *(
                    ["-k", "gthread", "--threads", str(opts["threads"])]
                    if opts["threads"] > 1
                    else []
                ),
                "--preload",
                "--access-logfile",
                str(self.access_path),
                # Request method, path and the worker's own time in microseconds.
                "--access-logformat",
                "%(m)s %(U)s %(s)s %(D)s",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=str(settings.BASE_DIR),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        passes: list[Pass] = []
        sweep: list[tuple[float, Pass]] = []
        try:
            self._wait_for(port)
            base = hub.floor_to_slot(now.astimezone(hub.tz)) + timedelta(days=1)
            stress = self._pass(
                "stress: back to back (closed loop, no think time)",
                opts,
                port,
                tokens,
                base,
                lambda i: Pacer(1000 + i, requests=opts["requests"]),
                seed=0,
            )
            passes.append(stress)
            if opts["think_ms"]:
                passes.append(
                    self._pass(
                        f"user pace: think time {opts['think_ms']} ms mean (0 to "
                        f"{2 * opts['think_ms']} ms) between requests",
                        opts,
                        port,
                        tokens,
                        base,
                        lambda i: Pacer(
                            2000 + i, think_ms=opts["think_ms"], requests=opts["requests"]
                        ),
                        seed=100,
                    )
                )
            sweep = self._sweep(opts, port, tokens, base, stress.rate)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
            if bench_redis is not None:
                self._clean_redis(bench_redis, prefix)
        self._report(opts, hub, now, passes, sweep)

    def _sweep(
        self, opts: dict[str, Any], port: int, tokens: list[str], base: Any, capacity: float
    ) -> list[tuple[float, Pass]]:
        """Open-loop steps of rising total rate; 'auto' stops at the first step that misses."""
        spec = opts["rates"].strip().lower()
        if spec in ("", "none", "0"):
            return []
        auto = spec == "auto"
        if auto:
            rates = [10.0 * k for k in range(1, max(1, int(capacity // 10)) + 1)]
        else:
            rates = [float(r) for r in spec.split(",") if r.strip()]
        steps: list[tuple[float, Pass]] = []
        for step, rate in enumerate(rates):

            def pacer(index: int, step: int = step, rate: float = rate) -> Pacer:
                per_client = rate / opts["clients"]
                return Pacer(
                    3000 + 100 * step + index, rate=per_client, seconds=opts["step_seconds"]
                )

            measured = self._pass(
                f"open loop at {rate:.0f} requests/s",
                opts,
                port,
                tokens,
                base,
                pacer,
                seed=200 + 100 * step,
            )
            steps.append((rate, measured))
            if auto and not meets_targets(measured.client):
                break
        return steps

    @staticmethod
    def _answers(url: str) -> bool:
        parts = urlsplit(url)
        try:
            with socket.create_connection(
                (parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1
            ):
                return True
        except OSError:
            return False

    @staticmethod
    def _clean_redis(url: str, prefix: str) -> None:
        """Delete what the benchmark's server left in its Redis database: its queues (nobody
        consumed them), re-plan counters and cache entries."""
        client = redis.Redis.from_url(url)
        keys = [
            *client.scan_iter(f"{prefix}:*"),
            *client.scan_iter("wisselstroom:hub:*"),
            *client.scan_iter("_kombu.binding*"),
        ]
        client.delete(*keys, "default", "dispatch", "unacked", "unacked_index", "unacked_mutex")
        client.close()

    def _access_lines(self) -> int:
        return len(self.access_path.read_text().splitlines())

    def _server_times(self, skip: int) -> dict[str, list[float]]:
        """Milliseconds per request as gunicorn measured them (no wait for a free worker), from
        line ``skip`` of the access log on."""
        times: dict[str, list[float]] = {"availability": [], "create": []}
        for line in self.access_path.read_text().splitlines()[skip:]:
            parts = line.split()
            if len(parts) != 4:
                continue
            method, path, _status, micros = parts
            if path == "/api/availability/":
                times["availability"].append(int(micros) / 1000)
            elif method == "POST" and path == "/api/bookings/":
                times["create"].append(int(micros) / 1000)
        return times

    def _wait_for(self, port: int) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise SystemExit("gunicorn did not come up")

    def _pass(
        self,
        label: str,
        opts: dict[str, Any],
        port: int,
        tokens: list[str],
        base: Any,
        pacer_for: Callable[[int], Pacer],
        *,
        seed: int,
    ) -> Pass:
        self.stdout.write(f"pass: {label} ...")
        skip = self._access_lines()
        timings: dict[str, list[float]] = {"availability": [], "create": []}
        codes: dict[str, dict[int, int]] = {"availability": {}, "create": {}}
        lock = threading.Lock()
        released: list[float] = []
        barrier = threading.Barrier(
            opts["clients"], action=lambda: released.append(time.perf_counter())
        )

        def client(index: int) -> None:
            rng = random.Random(seed + index)  # the windows asked for
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            headers = {
                "Authorization": f"Token {tokens[index % len(tokens)]}",
                "Content-Type": "application/json",
            }
            # Warm-up (not timed): every worker has loaded everything once.
            for _ in range(2):
                conn.request("GET", "/api/hubs/", headers=headers)
                conn.getresponse().read()
            barrier.wait()
            pacer = pacer_for(index)

            def timed(kind: str, method: str, url: str, body: str | None = None) -> Any:
                # Creates carry an idempotency key, so a retry can never book twice.
                sent = {**headers, "Idempotency-Key": secrets.token_hex(8)} if body else headers
                began = pacer.wait()
                for attempt in (1, 2):
                    try:
                        conn.request(method, url, body=body, headers=sent)
                        response = conn.getresponse()
                        data = response.read()
                        break
                    except (http.client.RemoteDisconnected, ConnectionError):
                        # The server closed a keep-alive connection that sat idle: reconnect.
                        conn.close()
                        if attempt == 2:
                            raise
                took = (time.perf_counter() - began) * 1000
                with lock:
                    timings[kind].append(took)
                    codes[kind][response.status] = codes[kind].get(response.status, 0) + 1
                return json.loads(data) if response.status == 200 else None

            # A resident looks a window up and books it if offered (or the first nearby window),
            # then the next one, as long as the pacer lets the client go on.
            while pacer.more():
                start = base + timedelta(days=rng.randint(0, 58), hours=rng.randint(7, 18))
                end = start + timedelta(hours=rng.randint(1, 4))
                km = rng.choice([20, 50, 100, 200])
                query = (
                    f"/api/availability/?hub=bench&start={start.isoformat()}"
                    f"&end={end.isoformat()}&range_km={km}"
                ).replace("+", "%2B")
                answer = timed("availability", "GET", query)
                if answer is None or not pacer.more():
                    continue
                if not answer["available"]:
                    if not answer["suggestions"]:
                        continue
                    window = answer["suggestions"][0]
                    start_text, end_text = window["start"], window["end"]
                else:
                    start_text, end_text = start.isoformat(), end.isoformat()
                body = json.dumps(
                    {"hub": "bench", "start": start_text, "end": end_text, "promised_range_km": km}
                )
                timed("create", "POST", "/api/bookings/", body)
            conn.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(opts["clients"])]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - released[0]  # from the end of the warm-up
        time.sleep(0.3)  # the workers' last access-log lines
        return Pass(label, timings, self._server_times(skip), codes, wall)

    # --- afterwards ----------------------------------------------------------------------------

    def _table(self, measured: Pass) -> None:
        out = self.stdout.write
        out(f"{'operation':<26}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}  status")
        for kind, label in KINDS:
            values = measured.client[kind]
            status = ", ".join(f"{k}: {v}" for k, v in sorted(measured.codes[kind].items()))
            out(
                f"{label + ' (client)':<26}{len(values):>6}{percentile(values, 0.5):>10.1f}"
                f"{percentile(values, 0.95):>10.1f}{max(values, default=0):>10.1f}  {status}"
            )
            values = measured.server[kind]
            out(
                f"{'  in the server':<26}{len(values):>6}{percentile(values, 0.5):>10.1f}"
                f"{percentile(values, 0.95):>10.1f}{max(values, default=0):>10.1f}"
            )
        for where, times in (("client", measured.client), ("server", measured.server)):
            out(
                f"targets (availability p95 <= 50 ms, create p95 <= 150 ms) as the {where} "
                f"measures: {'met' if meets_targets(times) else 'MISSED'}"
            )

    def _report(
        self,
        opts: dict[str, Any],
        hub: Hub,
        now: Any,
        passes: list[Pass],
        sweep: list[tuple[float, Pass]],
    ) -> None:
        rng = random.Random(99)
        check_ms, solver_ms, sizes = [], [], []
        base = hub.floor_to_slot(now.astimezone(hub.tz)) + timedelta(days=1)
        for _ in range(100):
            start = base + timedelta(days=rng.randint(0, 58), hours=rng.randint(7, 18))
            began = time.perf_counter()
            state = snapshot(hub, now)
            result = state.check_new(start, start + 2 * H, 50, 50)
            check_ms.append((time.perf_counter() - began) * 1000)
            solver_ms.append(result.seconds * 1000)
            sizes.append(len(state.component(start, start + 2 * H)))

        # Bind every open booking to the car of one global witness, then ask SQL for overlaps
        # (the exclusion constraint would refuse them anyway; this is the independent check).
        rows = Booking.objects.filter(
            hub=hub, status__in=[BookingStatus.CONFIRMED, BookingStatus.BOUND]
        ).values_list(
            "pk", "start", "end", "promised_range_km", "expected_km", "vehicle_id", "status"
        )
        needs = [need_from_row(*row) for row in rows]
        state = snapshot(hub, now)
        began = time.perf_counter()
        witness = fz.check(state.cars, needs, state.buffer)
        whole_ms = (time.perf_counter() - began) * 1000
        if witness.feasible:
            by_car: dict[int, list[int]] = {}
            for booking_id, car_id in witness.assignment.items():
                by_car.setdefault(car_id, []).append(booking_id)
            for car_id, ids in by_car.items():
                Booking.objects.filter(pk__in=ids).update(
                    vehicle_id=car_id, status=BookingStatus.BOUND
                )
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT count(*) FROM sharing_booking a JOIN sharing_booking b
                  ON a.vehicle_id = b.vehicle_id AND a.id < b.id
                 AND tstzrange(a.block_start, a.block_end) && tstzrange(b.block_start, b.block_end)
                WHERE a.status IN ('bound', 'active') AND b.status IN ('bound', 'active')
                """
            )
            overlaps = cursor.fetchone()[0]
        total = Booking.objects.filter(hub=hub).count()
        line = "-" * 78
        out = self.stdout.write
        out(line)
        out(
            f"{opts['vehicles']} vehicles, {opts['bookings']} seeded bookings, "
            f"{opts['clients']} clients, gunicorn -w {opts['workers']} "
            + (f"--threads {opts['threads']}" if opts["threads"] > 1 else "(sync)")
            + "; targets: availability p95 <= 50 ms, create p95 <= 150 ms"
        )
        for number, measured in enumerate(passes, 1):
            out(line)
            sent = sum(len(v) for v in measured.client.values())
            out(f"pass {number}, {measured.label}")
            out(f"  {sent} requests in {measured.wall:.1f} s: {measured.rate:.0f} requests/s")
            if number == 1:
                out(
                    f"  (Little's law: {opts['clients']} clients that never pause wait at least "
                    f"{opts['clients']} / {measured.rate:.0f} s = "
                    f"{1000 * opts['clients'] / measured.rate:.0f} ms per request on average)"
                )
            self._table(measured)
        if sweep:
            out(line)
            out(
                f"pass {len(passes) + 1}, rate sweep: open loop, {opts['clients']} clients with "
                f"Poisson send times, {opts['step_seconds']:.0f} s per step; latency counts from "
                "when a request was due"
            )
            out(
                f"{'rate/s':>7}{'achieved':>9}  {'availability p95 ms':>22}  "
                f"{'create p95 ms':>22}  targets"
            )
            out(f"{'':>18}{'client':>11}{'server':>11}  {'client':>11}{'server':>11}")
            for rate, step in sweep:
                a_c, a_s = step.client["availability"], step.server["availability"]
                c_c, c_s = step.client["create"], step.server["create"]
                out(
                    f"{rate:>7.0f}{step.rate:>9.1f}  {percentile(a_c, 0.95):>11.1f}"
                    f"{percentile(a_s, 0.95):>11.1f}  {percentile(c_c, 0.95):>11.1f}"
                    f"{percentile(c_s, 0.95):>11.1f}  "
                    f"{'met' if meets_targets(step.client) else 'MISSED'}"
                )
            held = [rate for rate, step in sweep if meets_targets(step.client)]
            if not held:
                out("sustainable rate: below the first step (targets missed at every rate)")
            else:
                best = max(held)
                last = " (the highest step tried)" if best == sweep[-1][0] else ""
                out(
                    f"sustainable rate: {best:.0f} requests/s with both p95 targets met as the "
                    f"clients measure{last}"
                )
        out(line)
        out(
            f"{'feasibility check (+DB)':<26}{len(check_ms):>6}{percentile(check_ms, 0.5):>10.1f}"
            f"{percentile(check_ms, 0.95):>10.1f}{max(check_ms):>10.1f}  "
            f"component size p50 {statistics.median(sizes):.0f}, max {max(sizes)}"
        )
        out(
            f"{'  of which solver':<26}{len(solver_ms):>6}{percentile(solver_ms, 0.5):>10.1f}"
            f"{percentile(solver_ms, 0.95):>10.1f}{max(solver_ms):>10.1f}"
        )
        out(line)
        out(
            f"after the run: {total} bookings; whole-hub check {whole_ms:.0f} ms "
            f"({'feasible' if witness.feasible else 'INFEASIBLE'}, {witness.method}); "
            f"all bound to the witness; overlapping blocks per SQL: {overlaps}"
        )
