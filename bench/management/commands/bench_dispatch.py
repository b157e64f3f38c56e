"""`manage.py bench_dispatch`: the dispatcher benchmark on scenarios built from shared/data."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench import dispatch as bench


class Command(BaseCommand):
    help = (
        "Run the dispatch benchmark cases; one row per case: wall seconds of plan_scenario "
        "from process start, the solver's own seconds, peak memory, captured share."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cases", nargs="+", default=list(bench.CASES), choices=sorted(bench.CASES)
        )
        parser.add_argument(
            "--time-limit",
            type=float,
            default=None,
            help="solver time limit per case (default: the case's target)",
        )
        parser.add_argument("--bound-time-limit", type=float, default=300.0)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--warm",
            action="store_true",
            help="instead: a re-plan after one new booking, warm from the plan against cold",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not bench.data_available():
            raise CommandError(
                f"shared data not found at {bench.shared_data_dir()} "
                "(set WISSELSTROOM_SHARED_DATA)",
                returncode=2,
            )
        targets = bench.TIME_LIMITS
        if options["warm"]:
            self.stdout.write(" | ".join(bench.WARM_HEADER))
            for name in options["cases"]:
                row = bench.measure_warm(name, options["time_limit"])
                self.stdout.write(bench.format_warm(row))
            return
        self.stdout.write(" | ".join(bench.HEADER))
        for name in options["cases"]:
            limit = options["time_limit"] or targets.get(name, 60.0)
            row = bench.run_case(name, limit, options["bound_time_limit"], options["seed"])
            self.stdout.write(bench.format_row(row))
