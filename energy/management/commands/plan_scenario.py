"""`manage.py plan_scenario SCENARIO.json --out PLAN.json`: solve a scenario file, no database."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from energy.dispatch import ScenarioError, baseline_plan, parse_scenario_text, solve
from energy.dispatch.core import LIKELY_STAY_SHARE


class Command(BaseCommand):
    # it plans a file and touches no database, URL or model: the system checks (which import
    # every view, admin and URL module) would cost most of a small plan's second
    requires_system_checks: list[str] = []
    help = "Plan a v2g-hub-scenario/1 file and write a v2g-hub-plan/1 file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenario", type=Path)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument(
            "--time-limit",
            type=float,
            default=60.0,
            help="deadline in seconds of wall clock from process start, writing included",
        )
        parser.add_argument("--baseline", choices=("uncontrolled", "greedy"), default=None)
        parser.add_argument(
            "--bound",
            action="store_true",
            help="after the plan, compute a lower bound (LP relaxation) in its own budget",
        )
        parser.add_argument("--bound-time-limit", type=float, default=None)
        parser.add_argument(
            "--likely-stay-share",
            type=float,
            default=None,
            help=(
                "plan each private car to be charged by plug-in + this share of its declared "
                f"stay as well (owners leave early; default {LIKELY_STAY_SHARE}, 1 = off)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        began = time.perf_counter()
        limit: float = options["time_limit"]
        if not limit > 0:
            raise CommandError("--time-limit: must be a positive number of seconds", returncode=2)
        share = options["likely_stay_share"]
        if share is not None and not 0 < share <= 1:
            raise CommandError("--likely-stay-share: must be above 0 and at most 1", returncode=2)
        path: Path = options["scenario"]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                f"{path}: cannot read: {exc.__class__.__name__}", returncode=2
            ) from None
        try:
            scenario = parse_scenario_text(text)
        except ScenarioError as exc:
            # one line, exit 2, nothing written: the spec's contract for a bad scenario
            raise CommandError(f"{path}: {exc}", returncode=2) from None
        if options["baseline"]:
            plan = baseline_plan(scenario, options["baseline"])
        else:
            # the deadline counts from process start: imports, parsing and writing included
            # (run from another program, e.g. call_command, it counts from this command's start)
            whole_process = sys.argv[1:2] == ["plan_scenario"]
            spent = _since_process_start() if whole_process else time.perf_counter() - began
            left = limit - spent - _write_reserve(scenario)
            plan = solve(
                scenario,
                time_limit=max(0.05, left),
                compute_bound=options["bound"],
                bound_time_limit=options["bound_time_limit"],
                likely_stay_share=share,
            )
        out: Path = options["out"]
        try:
            out.write_text(plan.to_json(), encoding="utf-8")
        except OSError as exc:
            raise CommandError(
                f"{out}: cannot write: {exc.__class__.__name__}", returncode=2
            ) from None
        status: object
        terms: dict[str, Any]
        if plan.report is not None:
            status, terms = plan.report.status, plan.report.terms
        else:  # a baseline: its summary is the document's
            status, terms = plan.summary.get("status"), plan.summary.get("terms", {})
        self.stdout.write(f"wrote {out}: status {status}, score {terms.get('score', 'n/a')}")
        if sys.argv[1:2] == ["plan_scenario"]:
            # the plan is written: a solver stage stopped at the deadline may still be
            # unwinding in its thread, and tearing the interpreter down would wait for it
            self.stdout.flush()
            sys.stderr.flush()
            os._exit(0)


def _since_process_start() -> float:
    """Seconds since this process started (Linux /proc), else since this command started."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:  # noqa: PTH123
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as f:  # noqa: PTH123
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.process_time()


def _write_reserve(scenario: Any) -> float:
    """Time kept for serialising and writing the plan (measured ~1 s per million numbers)."""
    numbers = len(scenario.vehicles) * scenario.slots * (3 if scenario.flexibility else 1)
    return 0.05 + 1.5e-6 * numbers
