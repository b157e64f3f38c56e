"""A worker killed in the middle of a solve: real Celery workers (prefork, as deployed) against
the local Redis and PostgreSQL, killed with SIGKILL, and the hub still gets its plan within a
minute, once, with the killed run marked failed.

Each solve is held back by ``DISPATCH_TEST_DELAY_SECONDS`` so that the kill lands mid-solve.
The visibility timeout is the production default: the test measures what a real deployment
would see.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import pytest
import redis
from celery import Celery
from django.db import connection

from energy.models import DispatchRun, RunStatus
from tests.energy.conftest import make_hub

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 12  # 13: bench_bookings, 14: bench_orchestration, 15: test_celery_worker
DELAY_SECONDS = 4
WITHIN_SECONDS = 60
T = TypeVar("T")


def _redis_url() -> str:
    return os.environ["TEST_REDIS_URL"].rsplit("/", 1)[0] + f"/{REDIS_DB}"


def _database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Workers:
    """Starts real ``celery worker`` processes, each in its own process group."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": _redis_url(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DISPATCH_TEST_DELAY_SECONDS": str(DELAY_SECONDS),
            "DISPATCH_HORIZON_SLOTS": "32",
            "EMAIL_URL": "locmem://",
            "LOG_LEVEL": "INFO",
        }
        self.env.pop("CELERY_VISIBILITY_TIMEOUT", None)  # the production default

    def start(self) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        log = (self.log_dir / f"worker{n}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "dispatch,default",
             "-P", "prefork", "-c", "1", "--without-gossip", "--without-mingle",
             "-n", f"lost{n}@%h", "--loglevel=INFO"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-4000:] for p in self.log_dir.glob("*.log"))


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(_redis_url())
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    started = Workers(tmp_path)
    yield started
    started.stop()


def _queue_plan(hub_id: int) -> None:
    # not the current app: shared tasks in later tests would publish through it (database 12)
    # instead of running eagerly
    sender = Celery("probe", broker=_redis_url(), set_as_current=False)
    try:
        sender.send_task(
            "energy.tasks.plan_hub", args=(hub_id, "manual: worker-lost test"), queue="dispatch"
        )
    finally:
        sender.close()


def _wait_for(predicate: Callable[[], T | None], seconds: float, what: str, workers: Workers) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"{what} within {seconds} s\n{workers.logs()}")


def _running_run(hub_id: int) -> DispatchRun | None:
    return DispatchRun.objects.filter(hub_id=hub_id, status=RunStatus.RUNNING).first()


def _current_plan(hub_id: int) -> DispatchRun | None:
    return DispatchRun.objects.filter(hub_id=hub_id, is_current=True).first()


def _held_tasks(broker: redis.Redis) -> list[str]:
    """The task names of the messages workers hold unacknowledged (kombu's `unacked` hash)."""
    names: list[str] = []
    for raw in broker.hvals("unacked"):
        try:
            message = json.loads(raw)[0]
            names.append(str(message["headers"]["task"]))
        except (ValueError, LookupError, TypeError):
            names.append("unreadable")  # counted, so an unexpected shape fails the test
    return names


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kill", ["child", "whole worker"])
def test_a_worker_killed_mid_solve_still_plans_the_hub_within_a_minute(
    broker, workers, kill, capsys
):
    hub = make_hub(slug="lost")
    first = workers.start()
    _queue_plan(hub.pk)
    killed = _wait_for(lambda: _running_run(hub.pk), 60, "no solve started", workers)
    time.sleep(1)  # well inside the solve's delay

    if kill == "child":
        children = _children(first.pid)
        assert children, "the prefork worker has no pool process"
        for pid in children:
            os.kill(pid, signal.SIGKILL)
    else:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        workers.start()
    killed_at = time.monotonic()

    plan = _wait_for(
        lambda: _current_plan(hub.pk), WITHIN_SECONDS, "no plan after the kill", workers
    )
    took = time.monotonic() - killed_at
    with capsys.disabled():
        print(f"\n[{kill} killed] plan made {took:.1f} s after the kill")

    killed.refresh_from_db()
    assert plan.pk != killed.pk
    assert plan.status == RunStatus.SUCCEEDED
    assert killed.status == RunStatus.FAILED
    assert "worker lost" in killed.error
    runs = DispatchRun.objects.filter(hub=hub)
    assert runs.filter(status=RunStatus.SUCCEEDED).count() == 1
    assert runs.count() == 2  # the killed run and the plan: no duplicate solve
    # Nothing is left that could plan the hub once more: no message queued or unacknowledged.
    # (Other tasks may be held unacknowledged, e.g. the D-Prognosis the plan queued with a
    # countdown, which a worker keeps until it is due.)
    assert broker.llen("dispatch") == 0
    held = _held_tasks(broker)
    assert "energy.tasks.plan_hub" not in held and "unreadable" not in held, held
    # The lock went with the plan's worker: the next re-plan is not turned away as "busy".
    assert not broker.exists(f"wisselstroom:hub:{hub.pk}:plan-lock")
