"""gunicorn reads this file from the working directory: the settings and the database are
checked once, in the master, before it listens or starts a worker, so that a bad environment is
one line on stderr and exit code 2 (see config.startup).

With ``PROMETHEUS_MULTIPROC_DIR`` set the workers keep their request counters in files there,
which ``/metrics`` adds up (config/metrics.py): the master empties the directory when it starts
and tells prometheus_client when a worker has died."""

from __future__ import annotations

from typing import Any

from config import metrics, startup

startup.load_settings()
startup.check_database()


def on_starting(server: Any) -> None:
    try:
        metrics.multiprocess_prepare()
    except OSError as exc:
        startup.refuse(f"PROMETHEUS_MULTIPROC_DIR cannot be used: {exc}")


def child_exit(server: Any, worker: Any) -> None:
    metrics.multiprocess_worker_exited(worker.pid)
