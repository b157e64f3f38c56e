"""`manage.py poll_openadr [--hub SLUG]`: poll the hubs' OpenADR 3 VTNs for capacity limits once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from energy.grid.models import VtnConnection
from energy.grid.openadr import vtn_poll


class Command(BaseCommand):
    help = (
        "Poll each active VTN connection (or the one of --hub) for OpenADR 3 capacity-limit "
        "events; a changed limit queues the hub's re-plan. The worker does this every "
        "OPENADR_POLL_SECONDS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hub", help="only this hub (its slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        connections = VtnConnection.objects.filter(active=True).select_related("hub")
        if options["hub"]:
            connections = connections.filter(hub__slug=options["hub"])
            if not connections.exists():
                raise CommandError(f"no active VTN connection for hub {options['hub']!r}",
                                   returncode=2)  # fmt: skip
        failed = 0
        for connection in connections:
            outcome = vtn_poll(connection_id=connection.pk)
            failed += not outcome.ok
            self.stdout.write(f"{connection.hub.slug}: {'ok' if outcome.ok else 'FAILED'}: "
                              f"{outcome.message}")  # fmt: skip
        if failed:
            raise CommandError(f"{failed} VTN poll(s) failed", returncode=1)
