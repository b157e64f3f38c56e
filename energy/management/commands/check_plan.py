"""`manage.py check_plan SCENARIO.json PLAN.json`: validate a plan by the spec and score it.

Run from the shell, `manage.py` hands this command to `energy.dispatch.cli` before Django is
set up; this class serves `call_command`.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from energy.dispatch.cli import CHECK_HELP, UsageError, add_check_arguments, check_file


class Command(BaseCommand):
    # it checks files and touches no database, URL or model
    requires_system_checks: list[str] = []
    help = CHECK_HELP

    def add_arguments(self, parser: CommandParser) -> None:
        add_check_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        buf = io.StringIO()
        try:
            code, verdict = check_file(
                scenario=options["scenario"], plan=options["plan"], stdout=buf
            )
        except UsageError as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(buf.getvalue(), ending="")
        if code:
            raise CommandError(verdict, returncode=1)
        self.stdout.write(verdict)
