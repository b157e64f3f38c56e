#!/usr/bin/env python
from __future__ import annotations

import sys

# Commands that plan or check a file and need nothing of Django: run before it is set up.
PURE_COMMANDS = ("plan_scenario", "check_plan")


def main() -> None:
    if sys.argv[1:2] and sys.argv[1] in PURE_COMMANDS and "--settings" not in sys.argv:
        from energy.dispatch.cli import run

        run(sys.argv[1:])

    from django.core.exceptions import ImproperlyConfigured

    from config import startup

    # Bad settings or an unreachable database: one line and exit code 2, not a traceback.
    startup.load_settings()
    try:
        if startup.needs_database(sys.argv):
            startup.check_database()
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        startup.refuse(f"configuration error: {exc}")


if __name__ == "__main__":
    main()
