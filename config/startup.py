"""Refuse to start, in one line on stderr and exit code 2, when the settings are wrong or the
database does not answer, instead of a long traceback (``manage.py``) or a server that starts
and then fails every request (gunicorn, ``run_ocpp``).

Used by ``manage.py``, ``config/wsgi.py``, ``config/asgi.py`` and ``gunicorn.conf.py``.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from django.core.exceptions import ImproperlyConfigured

EXIT_CODE = 2
# gunicorn's master stops (instead of booting new workers for ever) when a worker exits with
# its "App failed to load" code.
GUNICORN_APP_LOAD_ERROR = 4
# Commands that work without a database; every other one (migrate, runserver, run_ocpp, the
# benchmarks, the demo seed ...) checks it first.
NO_DATABASE_COMMANDS = {
    "help",
    "--help",
    "-h",
    "version",
    "--version",
    "check",
    "collectstatic",
    "compilemessages",
    "makemessages",
    "makemigrations",
    "diffsettings",
    "plan_scenario",
    "check_plan",
    "shell",
    "spectacular",
    "startapp",
    "startproject",
}


def refuse(message: str, *, code: int = EXIT_CODE) -> NoReturn:
    print(f"wisselstroom: {message}", file=sys.stderr, flush=True)
    raise SystemExit(code)


def load_settings() -> None:
    """Read the settings now, so that a bad value is one line, not a traceback later."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reading it loads the settings module
    except ImproperlyConfigured as exc:
        refuse(f"configuration error: {exc}")


def _short(exc: BaseException) -> str:
    """The reason in a driver's message, without its hints: 'connection refused'."""
    text = " ".join(str(exc).split("\n")[0].split())
    text = text.rsplit(" failed: ", 1)[-1].removeprefix("FATAL: ").strip()
    if text[:1].isupper() and text[1:2].islower():
        text = text[0].lower() + text[1:]
    return text or type(exc).__name__


def database_problem() -> str | None:
    """One line on why the default database cannot be used, or ``None`` when it answers."""
    from django.db import DatabaseError, connections

    connection = connections["default"]
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        where = f"the SQLite database at {config['NAME']}"
    else:
        where = f"the database at {config['HOST'] or 'localhost'}:{config['PORT'] or 5432}"
        where += f"/{config['NAME']}"
    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        return f"cannot reach {where}: {_short(exc)}"
    finally:
        connection.close()  # nothing opened here may be shared with forked workers
    return None


def check_database(*, code: int = EXIT_CODE) -> None:
    problem = database_problem()
    if problem is not None:
        refuse(problem, code=code)


def needs_database(argv: list[str]) -> bool:
    command = argv[1] if len(argv) > 1 else "help"
    asks_for_help = any(arg in {"-h", "--help", "--version"} for arg in argv[1:])
    return command not in NO_DATABASE_COMMANDS and not asks_for_help


def check_server(*, debug: bool) -> None:
    """For the WSGI and ASGI modules: refuse to serve without a database, unless ``DEBUG``.

    Under gunicorn the exit code is its own "App failed to load", so that the master stops
    instead of starting new workers that fail the same way.
    """
    if debug:
        return
    code = GUNICORN_APP_LOAD_ERROR if "gunicorn.arbiter" in sys.modules else EXIT_CODE
    check_database(code=code)
