"""`manage.py check_plan SCENARIO.json PLAN.json`: validate a plan by the spec and score it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from energy.dispatch import ScenarioError, check_plan, parse_plan_text, parse_scenario_text


class Command(BaseCommand):
    # it checks files and touches no database, URL or model: the system checks (which import
    # every view, admin and URL module) would cost most of a small plan's second
    requires_system_checks: list[str] = []
    help = "Check a plan against its scenario: exit 0 valid, 1 violations, 2 malformed input."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenario", type=Path)
        parser.add_argument("plan", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            scenario = parse_scenario_text(_read(options["scenario"]))
            plan = parse_plan_text(_read(options["plan"]), scenario)
        except ScenarioError as exc:
            raise CommandError(str(exc), returncode=2) from None
        result = check_plan(scenario, plan)
        for line in result.violations:
            self.stdout.write(line)
        for key, value in result.terms.as_dict().items():
            self.stdout.write(f"{key}: {value:.6f}")
        if not result.valid:
            raise CommandError(f"{len(result.violations)} violation(s)", returncode=1)
        self.stdout.write("valid")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.__class__.__name__}") from None
