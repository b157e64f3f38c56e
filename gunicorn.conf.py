"""gunicorn reads this file from the working directory: the settings and the database are
checked once, in the master, before it listens or starts a worker, so that a bad environment is
one line on stderr and exit code 2 (see config.startup)."""

from __future__ import annotations

from config import startup

startup.load_settings()
startup.check_database()
