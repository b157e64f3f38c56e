"""Failures reach someone: ADMINS and SERVER_EMAIL from the environment, server errors and
tasks that failed for good mailed to them, optional Sentry, and log lines with time, level and
logger (JSON when asked)."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from config.env import env_admins

ROOT = Path(__file__).resolve().parents[1]
OWN = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ADMINS", "SENTRY_DSN", "LOG_FORMAT"}


def django_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in OWN}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- who hears about failures ----------------------------------------------------------------


def test_admins_and_server_email_come_from_the_environment():
    result = django_python(
        "from django.conf import settings; print(settings.ADMINS, settings.SERVER_EMAIL)",
        ADMINS="Fleet desk <fleet@example.org>, ops@example.org",
        SERVER_EMAIL="alerts@example.org",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "[('Fleet desk', 'fleet@example.org'), ('ops', 'ops@example.org')] alerts@example.org"
    )


def test_no_admins_by_default():
    result = django_python("from django.conf import settings; print(settings.ADMINS)")

    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("value", ["fleet", "fleet@localhost", "a b@example.org", "x@y.org, oops"])
def test_a_bad_admins_value_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("ADMINS", value)

    with pytest.raises(ImproperlyConfigured, match="ADMINS must be comma-separated"):
        env_admins("ADMINS")


@pytest.mark.django_db
def test_a_server_error_is_mailed_to_the_admins(client, settings):
    settings.ADMINS = [("Fleet desk", "fleet@example.org")]
    settings.ROOT_URLCONF = "tests.failing_urls"
    client.raise_request_exception = False

    assert client.get("/boom").status_code == 500
    assert [m.to for m in mail.outbox] == [["fleet@example.org"]]
    assert "view boom" in mail.outbox[0].body


@pytest.fixture
def eager_failures_kept():
    """Eager tasks that fail return their failure instead of raising it, as on a worker."""
    from config.celery import app

    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = propagates


@pytest.mark.django_db
def test_a_task_that_fails_for_good_is_mailed_to_the_admins(
    settings, monkeypatch, eager_failures_kept
):
    from sharing import emails

    settings.ADMINS = [("Fleet desk", "fleet@example.org")]

    def refused(kind, booking_id):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr("sharing.emails.deliver_booking_mail", refused)
    result = emails.send_booking_mail.delay("confirmed", 1)

    assert result.failed()
    assert [m.to for m in mail.outbox] == [["fleet@example.org"]]  # once, not per retry
    assert "sharing.tasks.send_booking_mail" in mail.outbox[0].subject
    assert "Connection refused" in f"{mail.outbox[0].subject} {mail.outbox[0].body}"


# --- log lines -------------------------------------------------------------------------------

LOG = "import logging; logging.getLogger('wisselstroom.test').warning('plan of hub %s late', 'ws')"


def test_log_lines_say_when_how_bad_and_where():
    result = django_python(LOG)

    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING wisselstroom\.test: plan of hub ws late",
        result.stderr.strip(),
    ), result.stderr


def test_json_log_lines_when_asked():
    result = django_python(
        LOG + "\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n"
        "    logging.getLogger('wisselstroom.test').exception('failed')",
        LOG_FORMAT="json",
    )

    first, second = (json.loads(line) for line in result.stderr.strip().splitlines())
    assert first["level"] == "WARNING"
    assert first["logger"] == "wisselstroom.test"
    assert first["message"] == "plan of hub ws late"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", first["time"])
    assert second["level"] == "ERROR"
    assert "ZeroDivisionError" in second["exception"]


def test_a_bad_log_format_names_the_variable():
    result = django_python("", LOG_FORMAT="xml")

    assert result.returncode != 0
    assert "LOG_FORMAT must be one of json, text" in result.stderr


# --- Sentry ----------------------------------------------------------------------------------


class _FakeSentry(BaseHTTPRequestHandler):
    envelopes: list[str] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        type(self).envelopes.append(body.decode("utf-8", "replace"))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_sentry():
    _FakeSentry.envelopes = []
    server = HTTPServer(("127.0.0.1", 0), _FakeSentry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://publickey@127.0.0.1:{server.server_port}/1", _FakeSentry.envelopes
    server.shutdown()


SENTRY_SCRIPT = """
import sentry_sdk
from celery import shared_task
from django.test import Client, override_settings

client = sentry_sdk.get_client()
print("active", client.is_active(), sorted(client.integrations))

with override_settings(ROOT_URLCONF="tests.failing_urls"):
    print("status", Client(raise_request_exception=False).get("/boom").status_code)

@shared_task
def boom():
    raise ValueError("task boom for sentry")

print("task", boom.apply(throw=False).state)
sentry_sdk.flush(timeout=10)
"""


def test_sentry_is_off_without_a_dsn():
    result = django_python(SENTRY_SCRIPT.split("with override_settings")[0])

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("active False")


def test_sentry_gets_errors_from_requests_and_tasks(fake_sentry):
    dsn, envelopes = fake_sentry

    result = django_python(SENTRY_SCRIPT, SENTRY_DSN=dsn)

    assert result.returncode == 0, result.stderr
    active, status, task = result.stdout.splitlines()
    assert active.startswith("active True") and "'celery'" in active and "'django'" in active
    assert (status, task) == ("status 500", "task FAILURE")
    sent = "\n".join(envelopes)
    assert "view boom" in sent
    assert "task boom for sentry" in sent
    assert "alice@example.org" not in sent


def test_log_level_applies_to_celery_task_lines_too():
    result = django_python(
        "import logging; logging.getLogger('celery.app.trace').info('Task x succeeded')\n"
        "logging.getLogger('celery.app.trace').warning('Task y retry')",
        LOG_LEVEL="WARNING",
    )

    assert "Task x succeeded" not in result.stderr
    assert "Task y retry" in result.stderr
