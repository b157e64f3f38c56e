"""Choose the test database before Django loads its settings (loaded with ``-p tests.dbselect``).

Tests run on PostgreSQL whenever one is reachable: ``DATABASE_URL`` if set, otherwise the local
server at 127.0.0.1:5432 (database ``test``). Only when neither answers do they fall back to
SQLite, and then tests marked ``postgres`` are skipped with the reason shown; under ``CI=true``
such a skip fails the run instead, so CI can never pass by quietly testing less.

Redis is moved out of ``REDIS_URL`` into ``TEST_REDIS_URL``: ordinary tests run Celery eagerly
with an in-process cache, and the tests marked ``redis`` talk to the real server on purpose.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/test"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=1):
            return True
    except OSError:
        return False


def _choose() -> tuple[str, str]:
    if os.environ.get("WISSELSTROOM_TEST_SQLITE"):
        os.environ.pop("DATABASE_URL", None)
    elif not os.environ.get("DATABASE_URL") and _answers(LOCAL_POSTGRES):
        os.environ["DATABASE_URL"] = LOCAL_POSTGRES
    redis_url = os.environ.pop("REDIS_URL", "") or LOCAL_REDIS
    os.environ.setdefault("TEST_REDIS_URL", redis_url)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ["DISPATCH_INPROCESS"] = "sync"  # tests see the plan as soon as the call returns
    # One throwaway database per run, so two runs on one server never drop each other's.
    os.environ.setdefault("TEST_DATABASE_NAME", f"test_wisselstroom_{os.getpid()}")
    database = os.environ.get("DATABASE_URL", "")
    return ("postgresql" if database.startswith("postgres") else "sqlite"), database


DB_VENDOR, DB_URL = _choose()
REDIS_UP = _answers(os.environ["TEST_REDIS_URL"])


def pytest_report_header(config: pytest.Config) -> list[str]:
    where = urlsplit(DB_URL)
    shown = f"{where.hostname}:{where.port}{where.path}" if DB_VENDOR == "postgresql" else "file"
    return [
        f"wisselstroom: tests use {DB_VENDOR} ({shown}); "
        f"redis {'reachable' if REDIS_UP else 'NOT reachable'} at {os.environ['TEST_REDIS_URL']}"
    ]


def _missing_service(item: pytest.Item) -> str | None:
    if item.get_closest_marker("postgres") and DB_VENDOR != "postgresql":
        return "needs PostgreSQL (tests are running on SQLite)"
    if item.get_closest_marker("redis") and not REDIS_UP:
        return "needs Redis at " + os.environ["TEST_REDIS_URL"]
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    reason = _missing_service(item)
    if reason is None:
        return
    if IN_CI:
        # CI must test everything: a missing service is a failure there, never a quiet skip.
        pytest.fail(f"{reason}; CI=true does not allow skipping it", pytrace=False)
    pytest.skip(reason)
