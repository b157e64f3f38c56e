"""`manage.py bench_replay`: the early-departure replay of issue 12 (development only).

Real residential sessions replayed in Caltech's ACN-Sim under one aggregate power limit, with
acnportal's earliest-deadline-first and least-laxity-first against our planner called through
`plan_scenario` every 15 minutes. What is real and what is synthesised (declared departures,
batteries) is written down in `bench.dispatch.replay`.
"""

from __future__ import annotations

import importlib.util
import os
import time
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench.dispatch.replay import planner, sessions, simulate


def shared_data_dir() -> Path:
    env = os.environ.get("SHARED_DATA") or os.environ.get("WISSELSTROOM_SHARED_DATA")
    return Path(env) if env else Path(settings.BASE_DIR).parent / "shared" / "data"


class Command(BaseCommand):
    help = (
        "Replay real residential charging sessions in ACN-Sim (acnportal) under one aggregate "
        "limit: energy delivered, demands met and cost per kWh of EDF, LLF and our planner "
        "(plan_scenario every 15 minutes on declared departures)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=3, help="local days of plug-ins")
        parser.add_argument(
            "--start",
            type=date.fromisoformat,
            default=sessions.DEFAULT_START,
            help="first session day (the prices are those 313 weeks later)",
        )
        parser.add_argument(
            "--limit-kw", type=float, nargs="+", default=[30.0, 60.0], help="aggregate limits"
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--sessions", type=int, default=None, help="keep at most this many (seeded sample)"
        )
        parser.add_argument(
            "--algorithms",
            nargs="+",
            choices=simulate.ALGORITHMS,
            default=None,
            help="default: edf llf ours, and ours-declared when plan_scenario has "
            "--likely-stay-share",
        )
        parser.add_argument("--quick", action="store_true", help="one day, 30 kW")

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = shared_data_dir()
        missing = sessions.data_missing(data_dir)
        if missing:
            raise CommandError(missing, returncode=2)
        if importlib.util.find_spec("acnportal") is None:
            raise CommandError(
                "acnportal is not installed (a development dependency: "
                "pip install -r requirements.lock)",
                returncode=2,
            )
        days: int = 1 if options["quick"] else options["days"]
        limits: list[float] = [30.0] if options["quick"] else options["limit_kw"]
        if days < 1 or any(not x > 0 for x in limits):
            raise CommandError("--days and --limit-kw must be positive", returncode=2)
        root = Path(settings.BASE_DIR)
        algorithms: list[str] | None = options["algorithms"]
        if algorithms is None:
            algorithms = ["edf", "llf", "ours", "ours-history"]
            if "--likely-stay-share" in planner.plan_scenario_flags(root):
                algorithms.append("ours-declared")
        rp = sessions.build_replay(
            data_dir,
            start=options["start"],
            days=days,
            seed=options["seed"],
            max_sessions=options["sessions"],
        )
        history = sessions.history_shares(data_dir, rp)
        early = sum(s.early for s in rp.sessions)
        self.stdout.write(
            f"{len(rp.sessions)} sessions plugged in on {days} day(s) from {options['start']} "
            f"({early} leave before the declared time), {len(rp.stations)} charge points, "
            f"{rp.requested_kwh:.1f} kWh requested; prices from "
            f"{rp.price_start_utc.astimezone(sessions.TZ_HUB).date()}; seed {options['seed']}"
        )
        self.stdout.write(" | ".join(simulate.HEADER))
        for limit in limits:
            for name in algorithms:
                began = time.perf_counter()
                try:
                    result = simulate.run_algorithm(
                        rp, name, limit, project_root=root, history=history
                    )
                except RuntimeError as exc:
                    raise CommandError(f"{name} at {limit:g} kW: {exc}", returncode=1) from None
                self.stdout.write(
                    simulate.format_row(result) + f"   [{time.perf_counter() - began:.0f} s]"
                )
                stats = result.planner
                if stats and stats.first_violation:
                    self.stdout.write(f"   first invalid plan: {stats.first_violation}")
                if stats and stats.retries:
                    self.stdout.write(
                        f"   {stats.retries} plan_scenario run(s) failed once and were "
                        f"repeated, first: {stats.retry_reasons[0]}"
                    )
                if stats and stats.scaled_periods:
                    self.stdout.write(
                        f"   {stats.scaled_periods} period(s) scaled down to the limit "
                        "(rounding of a plan at the limit)"
                    )
