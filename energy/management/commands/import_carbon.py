"""Load the grid's hourly CO2 intensity (Electricity Maps' NL CSV files) into the database.

    manage.py import_carbon [PATH ...]   # files or folders

with ../shared/data/nl-grid-carbon-intensity (beside the project) as the default.

The data stays where it is: nothing is copied into the project. A path that does not exist is
skipped with a line saying so (exit 0), so a machine without the data set runs as before; the
dashboard then shows a documented demo shape
(``energy.selectors.dashboard_panels.DEMO_CARBON_SHAPE``).
Rows are upserted by (area, hour), so importing twice changes nothing.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from energy.models import CarbonIntensityHour

DEFAULT_DIR = Path(settings.BASE_DIR).parent / "shared" / "data" / "nl-grid-carbon-intensity"


def _column(header: list[str], *words: str) -> int | None:
    """The first column whose lower-cased name holds all ``words`` (2023 and 2024 differ)."""
    for i, name in enumerate(header):
        low = name.lower()
        if all(w in low for w in words):
            return i
    return None


def read_rows(path: Path) -> list[CarbonIntensityHour]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            raise CommandError(f"{path}: empty file", returncode=2)
        when = _column(header, "datetime")
        direct = _column(header, "carbon intensity", "direct")
        life = _column(header, "carbon intensity", "life") or _column(
            header, "carbon intensity", "lca"
        )
        zone = _column(header, "zone id")
        if when is None or direct is None:
            raise CommandError(
                f"{path}: no 'Datetime (UTC)' or direct carbon intensity column", returncode=2
            )
        out: list[CarbonIntensityHour] = []
        for n, row in enumerate(reader, start=2):
            if not row:
                continue
            try:
                start = datetime.strptime(row[when], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
                g = Decimal(row[direct])
                lc = Decimal(row[life]) if life is not None and row[life] else None
            except (ValueError, InvalidOperation, IndexError) as exc:
                raise CommandError(f"{path}, line {n}: {exc}", returncode=2) from exc
            out.append(
                CarbonIntensityHour(
                    area=(row[zone] if zone is not None else "NL")[:8] or "NL",
                    start=start,
                    direct_g_per_kwh=g,
                    lifecycle_g_per_kwh=lc,
                    source=f"Electricity Maps ({path.name})"[:120],
                )
            )
        return out


class Command(BaseCommand):
    help = "Import hourly grid CO2 intensity (Electricity Maps CSV) from files or folders."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("paths", nargs="*", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        paths: list[Path] = options["paths"] or [DEFAULT_DIR]
        files: list[Path] = []
        for path in paths:
            if path.is_dir():
                files += sorted(path.glob("*.csv"))
            elif path.is_file():
                files.append(path)
            else:
                self.stdout.write(f"{path}: not found, skipped (the dashboard shows a demo shape)")
        total = 0
        for file in files:
            rows = read_rows(file)
            with transaction.atomic():
                CarbonIntensityHour.objects.bulk_create(
                    rows,
                    batch_size=2000,
                    update_conflicts=True,
                    unique_fields=["area", "start"],
                    update_fields=["direct_g_per_kwh", "lifecycle_g_per_kwh", "source"],
                )
            total += len(rows)
            self.stdout.write(f"{file.name}: {len(rows)} hours")
        self.stdout.write(f"{total} hours of grid CO2 intensity imported")
