"""A bad environment stops start-up with one line on stderr and exit code 2, not a traceback;
a server never starts without its database."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEAD_DATABASE = "postgres://wisselstroom@127.0.0.1:1/wisselstroom"  # nothing listens on port 1
STRONG_KEY = secrets.token_urlsafe(50)
OWN = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER"}


def run(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key not in OWN}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    environment.update(env)
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "manage.py", *args], **env)


def assert_refused_in_one_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command",
    [["migrate", "--noinput"], ["showmigrations"], ["run_ocpp", "--port", "0"], ["seed_demo"]],
)
def test_a_command_that_needs_the_database_refuses_a_dead_one(command):
    result = manage(*command, DATABASE_URL=DEAD_DATABASE)

    assert_refused_in_one_line(
        result, "cannot reach the database at 127.0.0.1:1/wisselstroom", "connection refused"
    )


def test_a_command_that_needs_no_database_still_runs_without_one():
    result = manage("check", DATABASE_URL=DEAD_DATABASE)

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("key", "why"),
    [
        (None, "must be set"),  # the development key
        ("a" * 60, "too weak"),  # long, but one character
        ("abcd" * 15, "too weak"),  # four different characters
        (secrets.token_urlsafe(50)[:49], "too weak"),  # random, one short of 50
        ("django-insecure-" + secrets.token_urlsafe(50), "too weak"),
    ],
)
def test_debug_off_refuses_a_weak_secret_key_in_one_line(key, why):
    env = {"DEBUG": "false"} if key is None else {"DEBUG": "false", "SECRET_KEY": key}

    result = manage("check", **env)

    assert_refused_in_one_line(result, "SECRET_KEY", why)


def test_debug_off_accepts_a_strong_secret_key():
    assert manage("check", DEBUG="false", SECRET_KEY=STRONG_KEY).returncode == 0


def test_a_bad_setting_is_one_line_too():
    result = manage("check", TIME_ZONE="Europe/Wisselspoor")

    assert_refused_in_one_line(result, "TIME_ZONE")


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_the_web_application_refuses_a_dead_database_with_debug_off(module):
    result = run(
        [sys.executable, "-c", f"import {module}"],
        DEBUG="false",
        SECRET_KEY=STRONG_KEY,
        DATABASE_URL=DEAD_DATABASE,
    )

    assert_refused_in_one_line(result, "cannot reach the database", "connection refused")


def test_gunicorn_does_not_start_without_its_database():
    result = run(
        [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", "127.0.0.1:0"],
        DEBUG="false",
        SECRET_KEY=STRONG_KEY,
        DATABASE_URL=DEAD_DATABASE,
    )

    assert_refused_in_one_line(result, "cannot reach the database", "connection refused")


def test_gunicorn_does_not_start_with_a_weak_secret_key():
    result = run(
        [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", "127.0.0.1:0"],
        DEBUG="false",
        SECRET_KEY="a" * 60,
    )

    assert_refused_in_one_line(result, "SECRET_KEY", "too weak")


def test_gunicorn_does_not_start_with_a_metrics_directory_it_cannot_make(tmp_path):
    (tmp_path / "a-file").write_text("")
    result = run(
        [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", "127.0.0.1:0"],
        DEBUG="false",
        SECRET_KEY=STRONG_KEY,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "a-file" / "prometheus"),
    )

    # gunicorn has logged its start by then; the refusal is still one line, not a traceback
    assert result.returncode == 2, result.stderr
    assert "wisselstroom: PROMETHEUS_MULTIPROC_DIR cannot be used" in result.stderr
    assert "Traceback" not in result.stderr
