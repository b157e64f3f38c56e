"""``manage.py import_site_meter --hub SLUG FILE``: load a site meter's readings from a CSV."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from energy.grid.services import ReadingError, site_readings_parse, site_readings_record
from sharing.models import Hub


class Command(BaseCommand):
    help = (
        "Import the connection meter's net power readings of a hub: a CSV with the header "
        "'at,net_kw' (ISO 8601 times with their UTC offset; kW, + import). A time already "
        "kept is skipped, so a file may be imported again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--hub", required=True, help="The hub's slug.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                f"{path}: cannot read ({exc.__class__.__name__})", returncode=2
            ) from None
        try:
            readings = site_readings_parse(text)
        except ReadingError as exc:
            raise CommandError(f"{path}: {exc}; nothing was imported", returncode=2) from None
        try:
            hub = Hub.objects.filter(slug=options["hub"]).first()
            if hub is None:
                raise CommandError(f"no hub {options['hub']!r}; nothing was imported", returncode=2)
            outcome = site_readings_record(hub=hub, readings=readings)
        except DatabaseError as exc:  # e.g. a database without its tables: one line, exit 2
            first = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
            raise CommandError(
                f"database: {first} (has `manage.py migrate` run?); nothing was imported",
                returncode=2,
            ) from None
        assert outcome.first is not None and outcome.last is not None
        self.stdout.write(
            f"Imported {outcome.recorded} readings for {hub.slug} "
            f"({outcome.already_known} already known): "
            f"{outcome.first.isoformat()} to {outcome.last.isoformat()}"
        )
