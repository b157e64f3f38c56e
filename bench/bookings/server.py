"""The server under the booking benchmark: gunicorn on a free port against the benchmark's own
database, run as the Dockerfile runs it (``--workers`` sync workers, or gthread with
``--threads``), with its access log reduced to method, path, status and the worker's own time.
With Redis the workers share the car cache and Celery tasks are only queued, in Redis database
``BENCH_REDIS_DB``, which no worker consumes and which is cleaned afterwards; without Redis tasks
run in the request.
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.db import connection

from bench.measure import free_port

LOCAL_REDIS = "redis://127.0.0.1:6379/0"
BENCH_REDIS_DB = 13  # 14: bench_orchestration, 15: the Celery worker test


class Gunicorn:
    """gunicorn serving database `name`, started on construction; ``stop`` ends it."""

    def __init__(self, opts: dict[str, Any], name: str, out: Callable[[str], Any]) -> None:
        self.port = port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{connection.settings_dict['USER']}@"
            f"{connection.settings_dict['HOST'] or '127.0.0.1'}:"
            f"{connection.settings_dict['PORT'] or 5432}/{name}",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            "EMAIL_URL": "locmem://",
        }
        env.pop("REDIS_URL", None)
        redis_url = (os.environ.get("REDIS_URL") or LOCAL_REDIS).rsplit("/", 1)[0]
        self.bench_redis: str | None = None
        self.prefix = prefix = f"bench-{name}-{port}"
        if answers(redis_url):
            self.bench_redis = bench_redis = f"{redis_url}/{BENCH_REDIS_DB}"
            env["REDIS_URL"] = bench_redis
            env["CACHE_KEY_PREFIX"] = prefix
            env["CELERY_TASK_ALWAYS_EAGER"] = "false"
            out(f"Redis {bench_redis}: shared car cache; mails and re-plans queued, not run")
        else:
            env["CELERY_TASK_ALWAYS_EAGER"] = "true"
            out("no Redis: car cache per process; mails and re-plans in the request")
        log_path = Path(tempfile.gettempdir()) / f"bench_bookings_{port}.log"
        self.access_path = Path(tempfile.gettempdir()) / f"bench_bookings_{port}.access.log"
        out(f"gunicorn log: {log_path}, requests: {self.access_path}")
        self.log = log = log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(opts["workers"]),
                *(
                    ["-k", "gthread", "--threads", str(opts["threads"])]
                    if opts["threads"] > 1
                    else []
                ),
                "--preload",
                "--access-logfile",
                str(self.access_path),
                # Request method, path and the worker's own time in microseconds.
                "--access-logformat",
                "%(m)s %(U)s %(s)s %(D)s",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=str(settings.BASE_DIR),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()
        if self.bench_redis is not None:
            clean_redis(self.bench_redis, self.prefix)

    def access_lines(self) -> int:
        return len(self.access_path.read_text().splitlines())

    def server_times(self, skip: int) -> dict[str, list[float]]:
        """Milliseconds per request as gunicorn measured them (no wait for a free worker), from
        line ``skip`` of the access log on."""
        times: dict[str, list[float]] = {"availability": [], "create": []}
        for line in self.access_path.read_text().splitlines()[skip:]:
            parts = line.split()
            if len(parts) != 4:
                continue
            method, path, _status, micros = parts
            if path == "/api/availability/":
                times["availability"].append(int(micros) / 1000)
            elif method == "POST" and path == "/api/bookings/":
                times["create"].append(int(micros) / 1000)
        return times

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise SystemExit("gunicorn did not come up")


def answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1
        ):
            return True
    except OSError:
        return False


def clean_redis(url: str, prefix: str) -> None:
    """Delete what the benchmark's server left in its Redis database: its queues (nobody
    consumed them), re-plan counters and cache entries."""
    client = redis.Redis.from_url(url)
    keys = [
        *client.scan_iter(f"{prefix}:*"),
        *client.scan_iter("wisselstroom:hub:*"),
        *client.scan_iter("_kombu.binding*"),
    ]
    client.delete(*keys, "default", "dispatch", "unacked", "unacked_index", "unacked_mutex")
    client.close()
