#!/usr/bin/env python
from __future__ import annotations

import sys


def main() -> None:
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
