"""The Celery app. Periodic schedules live here, in code, each with an expiry so that a beat
that was down does not pile work up when it comes back."""

from __future__ import annotations

import logging.config
import os
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _poll_seconds() -> int:
    """OPENADR_POLL_SECONDS without reading Django's settings: this module is imported with the
    ``config`` package, before ``config.startup`` can turn a bad setting into one line (the
    settings module validates the same variable and refuses a bad one properly)."""
    try:
        return max(10, int(os.environ.get("OPENADR_POLL_SECONDS", "60")))
    except ValueError:
        return 60


_OPENADR_POLL_SECONDS = _poll_seconds()

app = Celery("wisselstroom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["energy.grid"])  # energy.grid.tasks (a package inside the energy app)


@setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Workers and beat log like web (``LOGGING``: the formatter, ``LOG_FORMAT=json``, the admins'
    mail for tasks that failed for good) instead of Celery's own set-up."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def _periodic(task: str, schedule: Any, *, expires: float) -> dict[str, Any]:
    """A beat entry whose message expires before the next one is due, so a stopped worker
    finds one of each waiting, not a pile (STYLE.md 9)."""
    return {"task": task, "schedule": schedule, "options": {"expires": expires}}


app.conf.beat_schedule = {
    "plan-every-hub": _periodic(
        "energy.tasks.plan_all_hubs", crontab(minute="*/15"), expires=14 * 60
    ),
    "flag-late-returns": _periodic(
        "sharing.tasks.flag_late_returns", crontab(minute="*/5"), expires=4 * 60
    ),
    "mark-no-shows": _periodic(
        "sharing.tasks.mark_no_shows", crontab(minute="*/5"), expires=4 * 60
    ),
    # Backstop: binds due bookings from the feasibility witness if planning is failing.
    "bind-due-bookings": _periodic(
        "sharing.tasks.bind_due_all_hubs", crontab(minute="*/5"), expires=4 * 60
    ),
    "send-reminders": _periodic(
        "sharing.tasks.send_reminders", crontab(minute="*/15"), expires=14 * 60
    ),
    "import-prices": _periodic(
        "energy.tasks.import_prices_from_inbox", crontab(minute=5), expires=50 * 60
    ),
    "fail-lost-runs": _periodic(
        "energy.tasks.fail_lost_runs", crontab(minute="*/5"), expires=4 * 60
    ),
    # Capacity limits from the grid operators' OpenADR 3 VTNs (OPENADR_POLL_SECONDS, default 60).
    "poll-openadr": _periodic(
        "energy.grid.tasks.poll_openadr",
        float(_OPENADR_POLL_SECONDS),
        expires=max(10, _OPENADR_POLL_SECONDS - 5),
    ),
    "purge-old-runs": _periodic(
        "energy.tasks.purge_old_runs", crontab(hour=3, minute=17), expires=6 * 3600
    ),
    # SITE_METER_RETENTION_DAYS (400); a month still being settled keeps its readings.
    "purge-site-meter-readings": _periodic(
        "energy.grid.tasks.purge_site_meter_readings", crontab(hour=3, minute=47), expires=6 * 3600
    ),
}
