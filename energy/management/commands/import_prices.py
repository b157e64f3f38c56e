"""``manage.py import_prices FILE``: load a day-ahead price file into 15-minute slots."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from energy.prices import PriceFileError
from energy.services.prices import prices_import


class Command(BaseCommand):
    help = "Import day-ahead prices (ENTSO-E CSV export or the ../shared/data formats)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--area", default="NL", help="Price area (default NL).")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                f"{path}: cannot read ({exc.__class__.__name__})", returncode=2
            ) from None
        try:
            result = prices_import(text=text, source=path.name, area=options["area"])
        except PriceFileError as exc:
            raise CommandError(f"{path}: {exc}; nothing was imported", returncode=2) from None
        self.stdout.write(
            f"Imported {result.slots} slots for {options['area']}: "
            f"{result.first:%Y-%m-%d %H:%M} to {result.last:%Y-%m-%d %H:%M} UTC"
        )
