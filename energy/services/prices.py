"""Writing prices: the importer behind ``import_prices`` and the admin upload."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from energy.models import PriceSlot
from energy.prices import parse_price_file
from energy.signals import prices_changed


@dataclass(frozen=True)
class PriceImport:
    slots: int
    first: datetime
    last: datetime


def prices_import(*, text: str, source: str, area: str = "NL") -> PriceImport:
    """Store every 15-minute price of a price file, replacing older values for the same slots.

    The whole file is parsed before anything is written, so a malformed file (``PriceFileError``,
    naming the line) changes nothing.
    """
    points = parse_price_file(text)
    with transaction.atomic():
        PriceSlot.objects.bulk_create(
            [
                PriceSlot(
                    area=area, start=p.start, day_ahead_eur_per_kwh=p.eur_per_kwh, source=source
                )
                for p in points
            ],
            update_conflicts=True,
            unique_fields=["area", "start"],
            update_fields=["day_ahead_eur_per_kwh", "source", "imported_at"],
            batch_size=2000,
        )
        transaction.on_commit(
            lambda: prices_changed.send(sender=PriceSlot, area=area, first=points[0].start)
        )
    return PriceImport(slots=len(points), first=points[0].start, last=points[-1].start)
