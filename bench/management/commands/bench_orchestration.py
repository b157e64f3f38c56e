"""``manage.py bench_orchestration``: how many hub plans a worker makes, and how fast a change
reaches the plan, with real Celery workers, Redis and PostgreSQL.

It needs a PostgreSQL server (``DATABASE_URL``, or the local one at 127.0.0.1:5432) and Redis
(``REDIS_URL``, or 127.0.0.1:6379). It creates its own database ``wisselstroom_bench_orch`` and
uses Redis database 14, so nothing else is touched. For each worker count it:

1. queues a scheduled plan for every hub at once (what beat does every 15 minutes) and times
   the wave: plans per minute, and the share of the 15-minute cycle the wave needs;
2. makes bookings one by one through the booking service (the API's code path) at a steady
   rate (one every 5 s across the hubs by default: 720 changes an hour, far busier than 50
   real hubs) and measures, per booking, the time until the hub's current plan includes it
   (event-to-plan latency; it includes the debounce).

Targets (issue 5): 50 hubs of 20 cars re-planned every 15 minutes by one worker with at least
half the cycle to spare, and event-to-plan p95 <= 10 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from argparse import ArgumentParser
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.core.management.base import BaseCommand, CommandError

from bench.measure import percentile

BENCH_DB = "wisselstroom_bench_orch"
ROOT = Path(__file__).resolve().parents[3]


class Command(BaseCommand):
    help = "Benchmark plan throughput and event-to-plan latency with real Celery workers."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--hubs", type=int, default=50)
        parser.add_argument("--vehicles", type=int, default=20)
        parser.add_argument("--bookings-per-hub", type=int, default=30)
        parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
        parser.add_argument("--events", type=int, default=40)
        parser.add_argument("--event-interval", type=float, default=5.0)
        parser.add_argument("--slots", type=int, default=192)
        parser.add_argument("--driver", action="store_true", help=argparse_hidden())

    def handle(self, *args: Any, **options: Any) -> None:
        if options["driver"]:
            self._drive(options)
            return
        database = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/test"
        parts = urlsplit(database)
        if not parts.scheme.startswith("postgres"):
            raise CommandError("bench_orchestration needs PostgreSQL (DATABASE_URL)", returncode=2)
        redis_url = (os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
        bench_url = urlunsplit(parts._replace(path="/" + BENCH_DB))
        self._recreate_database(database)
        env = {
            **os.environ,
            "DATABASE_URL": bench_url,
            "REDIS_URL": redis_url + "/14",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DISPATCH_HORIZON_SLOTS": str(options["slots"]),
            "DISPATCH_DEBOUNCE_SECONDS": "2",
            "EMAIL_URL": "locmem://",
            "LOG_LEVEL": "WARNING",
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        argv = [sys.executable, "manage.py", "bench_orchestration", "--driver"]
        for key in ("hubs", "vehicles", "bookings_per_hub", "events", "event_interval", "slots"):
            argv += [f"--{key.replace('_', '-')}", str(options[key])]
        argv += ["--workers", *map(str, options["workers"])]
        result = subprocess.run(argv, cwd=ROOT, env=env, check=False)  # noqa: S603
        if result.returncode:
            raise CommandError("the benchmark driver failed", returncode=result.returncode)

    def _recreate_database(self, url: str) -> None:
        import psycopg

        parts = urlsplit(url)
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')

    # The driver runs with DATABASE_URL and REDIS_URL pointing at the benchmark's own stores.
    def _drive(self, options: dict[str, Any]) -> None:
        from config.celery import app

        hub_ids = self._seed(options)
        self.stdout.write(
            f"{options['hubs']} hubs x {options['vehicles']} cars, "
            f"{options['bookings_per_hub']} bookings each, {options['slots']} slots per plan"
        )
        header = (
            f"{'workers':>7} {'plans':>6} {'wave s':>8} {'plans/min':>10} {'cycle used':>10} "
            f"{'solve p50':>9} {'events':>6} {'e2p p50 s':>9} {'e2p p95 s':>9} {'e2p max s':>9}"
        )
        self.stdout.write(header)
        for workers in options["workers"]:
            app.control.purge()
            procs = self._start_workers(workers)
            try:
                wave = self._wave(hub_ids)
                latencies = self._events(hub_ids, options)
            finally:
                for proc in procs:
                    proc.terminate()
                for proc in procs:
                    proc.wait(30)
            plans, seconds, solve_p50 = wave
            per_minute = plans / seconds * 60
            self.stdout.write(
                f"{workers:>7} {plans:>6} {seconds:>8.1f} {per_minute:>10.1f} "
                f"{seconds / 900:>10.0%} {solve_p50:>9.2f} {len(latencies):>6} "
                f"{statistics.median(latencies):>9.2f} {percentile(latencies, 0.95):>9.2f} "
                f"{max(latencies):>9.2f}"
            )

    def _start_workers(self, count: int) -> list[subprocess.Popen[bytes]]:
        procs = []
        for n in range(count):
            procs.append(
                subprocess.Popen(  # noqa: S603 - fixed argv
                    [sys.executable, "-m", "celery", "-A", "config", "worker",
                     "-Q", "dispatch,default", "-P", "solo", "--without-gossip",
                     "--without-mingle", "--without-heartbeat", "-n", f"bench{n}@%h",
                     "--loglevel=WARNING"],
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip
        time.sleep(4)  # let them connect
        return procs

    def _seed(self, options: dict[str, Any]) -> list[int]:
        import random

        from django.utils import timezone

        from energy.demo import seed_site
        from sharing.models import Bay, Booking, Hub, Vehicle, VehicleModel

        rng = random.Random(5)
        model, _ = VehicleModel.objects.get_or_create(
            make="Renault",
            model="5 E-Tech",
            defaults={
                "usable_battery_kwh": Decimal("52"),
                "consumption_kwh_per_km": Decimal("0.160"),
                "ac_charge_kw": Decimal("11"),
                "ac_discharge_kw": Decimal("11"),
                "max_promised_range_km": 280,
            },
        )
        resident = self._resident(9999)
        household = resident.household
        now = timezone.now()
        hub_ids = []
        for h in range(options["hubs"]):
            hub = Hub.objects.create(name=f"Bench {h}", slug=f"bench-{h}", latitude=52.09,
                                     longitude=5.1)  # fmt: skip
            start = hub.floor_to_slot(now) + timedelta(hours=1)
            bays = Bay.objects.bulk_create(
                Bay(hub=hub, label=f"B{n:02d}") for n in range(options["vehicles"])
            )
            cars = Vehicle.objects.bulk_create(
                Vehicle(plate=f"B{h:03d}-{n:02d}", model=model, hub=hub, home_bay=bay,
                        last_known_soc_kwh=Decimal(rng.randint(15, 45)), last_known_soc_at=now)
                for n, bay in enumerate(bays)
            )  # fmt: skip
            site = seed_site(hub)
            site.homes = 50
            site.save(update_fields=["homes"])
            bookings: list[Booking] = []
            for b in range(options["bookings_per_hub"]):
                car = cars[b % len(cars)]
                begin = start + timedelta(minutes=15 * rng.randint(0, 160))
                end = begin + timedelta(minutes=15 * rng.randint(4, 16))
                km = rng.choice([30, 60, 90, 120])
                # Blocks are [start - buffer, end + buffer) and must not overlap (as the
                # exclusion constraint requires of bound bookings).
                clash = any(
                    x.vehicle_id == car.pk
                    and x.block_start < end + hub.buffer
                    and begin - hub.buffer < x.block_end
                    for x in bookings
                )
                if clash:
                    continue
                bookings.append(
                    Booking(resident=resident, household=household, hub=hub, start=begin, end=end,
                            block_start=begin - hub.buffer, block_end=end + hub.buffer,
                            promised_range_km=km, expected_km=km, vehicle=car, status="bound")
                )  # fmt: skip
            Booking.objects.bulk_create(bookings)
            hub_ids.append(hub.pk)
        return hub_ids

    @staticmethod
    def _resident(n: int) -> Any:
        """One household per booking, so fair-use limits never refuse a benchmark booking."""
        from django.utils import timezone

        from accounts.models import Household, User

        existing = User.objects.filter(email=f"bench{n}@example.org").first()
        if existing is not None:
            return existing
        household = Household.objects.create(name=f"Bench {n}", address=f"Bench {n}")
        return User.objects.create_user(
            f"bench{n}@example.org",
            "bench-password-123",
            household=household,
            email_confirmed_at=timezone.now(),
            licence_status="approved",
            licence_expires_on=timezone.localdate() + timedelta(days=365),
        )

    def _wave(self, hub_ids: list[int]) -> tuple[int, float, float]:
        from energy.models import DispatchRun
        from energy.tasks import plan_hub

        began = time.monotonic()
        marker = DispatchRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for hub_id in hub_ids:
            plan_hub.apply_async((hub_id, "schedule"), expires=900)
        while True:
            done = DispatchRun.objects.filter(pk__gt=marker, finished_at__isnull=False)
            if done.count() >= len(hub_ids):
                break
            if time.monotonic() - began > 1800:
                raise CommandError("the wave did not finish in 30 minutes", returncode=1)
            time.sleep(0.5)
        seconds = time.monotonic() - began
        solves = [s for s in done.values_list("solver_seconds", flat=True) if s is not None]
        return len(hub_ids), seconds, statistics.median(solves) if solves else float("nan")

    def _events(self, hub_ids: list[int], options: dict[str, Any]) -> list[float]:
        from django.utils import timezone

        from energy.models import DispatchRun
        from sharing.models import Hub
        from sharing.services.bookings import BookingUnavailable, booking_create

        residents = [self._resident(n) for n in range(options["events"])]
        pending: dict[int, tuple[int, float]] = {}
        latencies: list[float] = []
        refused = 0
        start = Hub.objects.get(pk=hub_ids[0]).floor_to_slot(timezone.now()) + timedelta(hours=20)
        for i in range(options["events"]):
            hub = Hub.objects.get(pk=hub_ids[i % len(hub_ids)])
            begin = start + timedelta(minutes=15 * (i % 8))
            try:
                booking = booking_create(
                    resident=residents[i], hub=hub, start=begin, end=begin + timedelta(hours=1),
                    promised_range_km=40,
                )  # fmt: skip
            except BookingUnavailable:
                refused += 1
                continue
            pending[booking.pk] = (hub.pk, time.monotonic())
            # Poll often between events, so a latency is not rounded up to the event interval.
            next_event = time.monotonic() + options["event_interval"]
            while time.monotonic() < next_event:
                self._collect(pending, latencies, DispatchRun)
                time.sleep(0.1)
        deadline = time.monotonic() + 120
        while pending and time.monotonic() < deadline:
            self._collect(pending, latencies, DispatchRun)
            time.sleep(0.1)
        if pending:
            self.stderr.write(f"{len(pending)} events never reached a plan within 120 s")
        if refused:
            self.stderr.write(f"{refused} benchmark bookings were refused (no car could keep them)")
        return latencies

    @staticmethod
    def _collect(pending: dict[int, tuple[int, float]], latencies: list[float], runs: Any) -> None:
        for booking_id, (hub_id, t0) in list(pending.items()):
            run = runs.objects.filter(hub_id=hub_id, is_current=True).only("plan").first()
            if run and f"booking-{booking_id}" in (run.plan or {}).get("assignments", {}):
                latencies.append(time.monotonic() - t0)
                del pending[booking_id]


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS
