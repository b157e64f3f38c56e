"""``manage.py seed_demo``: the Wisselspoor demo hub with a live plan (idempotent)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from energy.demo import DEMO_CHARGER_PASSWORD, seed_demo
from energy.locks import replans_paused
from energy.services.planning import hub_plan

# Loggers that report every seeded booking (the in-process mail task, one line per mail).
CHATTY_LOGGERS = ("celery.app.trace", "celery.worker", "django.core.mail")


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Only warnings and errors from the loggers that would print a line per seeded booking, so
    the log-in block at the end is not buried."""
    loggers = [logging.getLogger(name) for name in CHATTY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Command(BaseCommand):
    help = "Seed the Wisselspoor demo hub, residents and bookings, then plan it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-plan", action="store_true", help="Skip the first plan.")

    def handle(self, *args: Any, **options: Any) -> None:
        # The seed books a week for forty residents: keep their confirmation mails off the
        # console, and plan once at the end instead of after every booking.
        with (
            quiet_logs(),
            replans_paused(),
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
        ):
            hub, logins = seed_demo()
        if not options["no_plan"]:
            with quiet_logs():
                run = hub_plan(hub=hub, trigger="demo seed")
            self.stdout.write(
                f"Planned {hub.name}: {run.status}, score EUR {run.score_eur}, "
                f"{run.solver or 'no solver'} in {run.solver_seconds or 0:.1f} s"
            )
        # The log-in block comes last, after everything seeding and planning print.
        self.stdout.flush()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo hub ready at http://127.0.0.1:8000"))
        self.stdout.write(f"  Fleet admin:  {logins.fleet_admin}  (admin at /admin/)")
        for email in logins.residents:
            self.stdout.write(f"  Resident:     {email}")
        self.stdout.write(f"  Password for all demo log-ins: {logins.password}")
        self.stdout.write(f"  Invitation code to sign up a new resident: {logins.invitation}")
        self.stdout.write(
            f"  Chargers: `manage.py run_ocpp`, then `manage.py simulate_chargers`"
            f" (OCPP password {DEMO_CHARGER_PASSWORD})"
        )
