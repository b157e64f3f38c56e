"""`manage.py plan_scenario SCENARIO.json --out PLAN.json`: solve a scenario file, no database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from energy.dispatch import ScenarioError, baseline_plan, parse_scenario_text, solve


class Command(BaseCommand):
    help = "Plan a v2g-hub-scenario/1 file and write a v2g-hub-plan/1 file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenario", type=Path)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--time-limit", type=float, default=60.0)
        parser.add_argument("--baseline", choices=("uncontrolled", "greedy"), default=None)

    def handle(self, *args: Any, **options: Any) -> None:
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
            plan = solve(scenario, time_limit=options["time_limit"])
        out: Path = options["out"]
        try:
            out.write_text(plan.to_json(), encoding="utf-8")
        except OSError as exc:
            raise CommandError(
                f"{out}: cannot write: {exc.__class__.__name__}", returncode=2
            ) from None
        terms = plan.summary.get("terms", {})
        self.stdout.write(
            f"wrote {out}: status {plan.summary.get('status')}, score {terms.get('score', 'n/a')}"
        )
