"""Load test of availability and booking through the real HTTP stack.

Creates a throwaway PostgreSQL database, migrates it, seeds a hub with 200 cars and 5,000 future
bookings, starts gunicorn on a free port against it and lets 20 concurrent clients (API tokens,
``http.client``) each ask for availability and then book what was offered, back to back. Prints
latencies as the clients see them (with any wait for a free worker) and as the server measured
them (gunicorn's request time), the feasibility check's own time per booking, and checks
afterwards (in SQL) that no car is double-booked.

With Redis (``REDIS_URL``, or the local server if it answers) the workers share the car cache;
Celery tasks still run in-process, so nothing is queued on a broker others may be using.
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
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, connections
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Household, User
from sharing import feasibility as fz
from sharing.models import Booking, BookingStatus, Hub, Vehicle, VehicleModel
from sharing.planning import need_from_row, snapshot
from sharing.services.rules import floor_to_slot

H = timedelta(hours=1)
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Command(BaseCommand):
    help = "Benchmark availability and booking over HTTP against a throwaway database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--vehicles", type=int, default=200)
        parser.add_argument("--bookings", type=int, default=5000)
        parser.add_argument("--clients", type=int, default=20)
        parser.add_argument("--requests", type=int, default=30, help="per client")
        parser.add_argument(
            "--think-ms",
            type=int,
            default=0,
            help="mean pause of a client between two requests (0: back to back, a stress test)",
        )
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread)")
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
        day0 = floor_to_slot(hub, now).replace(hour=0, minute=0) + timedelta(days=1)
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
        }
        env.pop("REDIS_URL", None)
        redis_url = os.environ.get("REDIS_URL") or LOCAL_REDIS
        if self._answers(redis_url):
            env["REDIS_URL"] = redis_url
            env["CACHE_KEY_PREFIX"] = f"bench-{name}-{port}"
            self.stdout.write(f"car cache: Redis {redis_url}")
        else:
            self.stdout.write("car cache: per process (no Redis)")
        env["CELERY_TASK_ALWAYS_EAGER"] = "true"
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
        try:
            self._wait_for(port)
            timings = self._load(opts, port, tokens, now)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
        self._report(opts, hub, now, timings)

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

    def _server_times(self) -> dict[str, list[float]]:
        """Milliseconds per request as gunicorn measured them (no wait for a free worker)."""
        times: dict[str, list[float]] = {"availability": [], "create": []}
        for line in self.access_path.read_text().splitlines():
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

    def _load(
        self, opts: dict[str, Any], port: int, tokens: list[str], now: Any
    ) -> dict[str, list[float]]:
        timings: dict[str, list[float]] = {"availability": [], "create": []}
        codes: dict[str, dict[int, int]] = {"availability": {}, "create": {}}
        lock = threading.Lock()
        barrier = threading.Barrier(opts["clients"])
        base = floor_to_slot(Hub(time_zone="Europe/Amsterdam"), now) + timedelta(days=1)

        def client(index: int) -> None:
            rng = random.Random(index)
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

            pauses = random.Random(1000 + index)  # the windows stay the same with pauses

            def think() -> None:
                if opts["think_ms"]:
                    time.sleep(pauses.uniform(0, 2 * opts["think_ms"]) / 1000)

            def timed(kind: str, method: str, url: str, body: str | None = None) -> Any:
                # Creates carry an idempotency key, so a retry can never book twice.
                sent = {**headers, "Idempotency-Key": secrets.token_hex(8)} if body else headers
                for attempt in (1, 2):
                    began = time.perf_counter()
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
            # then the next one: ``requests`` requests in all, back to back.
            done = 0
            while done < opts["requests"]:
                start = base + timedelta(days=rng.randint(0, 58), hours=rng.randint(7, 18))
                end = start + timedelta(hours=rng.randint(1, 4))
                km = rng.choice([20, 50, 100, 200])
                query = (
                    f"/api/availability/?hub=bench&start={start.isoformat()}"
                    f"&end={end.isoformat()}&range_km={km}"
                ).replace("+", "%2B")
                think()
                answer = timed("availability", "GET", query)
                done += 1
                if answer is None or done >= opts["requests"]:
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
                think()
                timed("create", "POST", "/api/bookings/", body)
                done += 1
            conn.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(opts["clients"])]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.wall = time.perf_counter() - began
        self.codes = codes
        return timings

    # --- afterwards ----------------------------------------------------------------------------

    def _report(
        self, opts: dict[str, Any], hub: Hub, now: Any, timings: dict[str, list[float]]
    ) -> None:
        rng = random.Random(99)
        check_ms, solver_ms, sizes = [], [], []
        base = floor_to_slot(hub, now) + timedelta(days=1)
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
        line = "-" * 64
        out = self.stdout.write
        out(line)
        out(
            f"{opts['vehicles']} vehicles, {opts['bookings']} seeded bookings, "
            f"{opts['clients']} clients x {opts['requests']} requests, "
            f"think {opts['think_ms']} ms, gunicorn -w {opts['workers']} --threads "
            f"{opts['threads']}, wall {self.wall:.1f} s, "
            f"{(len(timings['availability']) + len(timings['create'])) / self.wall:.0f} requests/s"
        )
        out(line)
        out(f"{'operation':<26}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}  status")
        server = self._server_times()
        for kind, label in (("availability", "GET availability"), ("create", "POST booking")):
            values = timings[kind]
            status = ", ".join(f"{k}: {v}" for k, v in sorted(self.codes[kind].items()))
            out(
                f"{label + ' (client)':<26}{len(values):>6}{percentile(values, 0.5):>10.1f}"
                f"{percentile(values, 0.95):>10.1f}{max(values, default=0):>10.1f}  {status}"
            )
            values = server[kind]
            out(
                f"{'  in the server':<26}{len(values):>6}{percentile(values, 0.5):>10.1f}"
                f"{percentile(values, 0.95):>10.1f}{max(values, default=0):>10.1f}"
            )
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
        for where, measured in (("client", timings), ("server", server)):
            met = (
                percentile(measured["availability"], 0.95) <= 50
                and percentile(measured["create"], 0.95) <= 150
            )
            out(
                f"targets (availability p95 <= 50 ms, create p95 <= 150 ms) as the {where} "
                f"measures: {'met' if met else 'MISSED'}"
            )
