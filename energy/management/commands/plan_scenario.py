"""`manage.py plan_scenario SCENARIO.json --out PLAN.json`: solve a scenario file, no database.

Run from the shell, `manage.py` hands this command to `energy.dispatch.cli` before Django is
set up (a small plan's deadline should not pay for it); this class serves `call_command`.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from energy.dispatch.cli import PLAN_HELP, UsageError, add_plan_arguments, plan_file


class Command(BaseCommand):
    # it plans a file and touches no database, URL or model
    requires_system_checks: list[str] = []
    help = PLAN_HELP

    def add_arguments(self, parser: CommandParser) -> None:
        add_plan_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        began = time.perf_counter()
        try:
            line = plan_file(
                scenario=options["scenario"],
                out=options["out"],
                time_limit=options["time_limit"],
                baseline=options["baseline"],
                bound=options["bound"],
                bound_time_limit=options["bound_time_limit"],
                likely_stay_share=options["likely_stay_share"],
                likely_departures=options["likely_departures"],
                spent=time.perf_counter() - began,
            )
        except UsageError as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(line)
