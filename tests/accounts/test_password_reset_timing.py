"""Without a broker (the embedded default) the password reset still answers known and unknown
addresses alike: the task runs on a thread of its own, so the request never waits for the
lookup, the token or the mail, whatever the address."""

from __future__ import annotations

import threading
import time

import pytest
from django.urls import reverse

from accounts import tasks
from accounts.services.email import run_detached

pytestmark = pytest.mark.django_db


def test_the_request_does_not_wait_for_the_reset_task(client, resident, settings, monkeypatch):
    monkeypatch.setattr("accounts.services.email.run_detached", run_detached)  # the real one
    settings.CELERY_TASK_ALWAYS_EAGER = True
    release = threading.Event()
    started: list[str] = []

    def slow_task(email: str, language: str = "en") -> None:
        started.append(email)
        release.wait(10)  # a slow mail server, for instance

    monkeypatch.setattr(tasks.send_password_reset, "run", slow_task)
    took = {}
    try:
        for email in ("alice@example.org", "nobody@example.org"):
            began = time.monotonic()
            response = client.post(reverse("accounts:password_reset"), {"email": email})
            took[email] = time.monotonic() - began
            assert response.status_code == 302
    finally:
        release.set()
    assert max(took.values()) < 2, took  # inline, each would have waited 10 s
    deadline = time.monotonic() + 5
    while len(started) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(started) == ["alice@example.org", "nobody@example.org"]
