"""Reading day-ahead price files into 15-minute slots (pure: no database).

Formats understood, recognised by their header line:

- the ENTSO-E Transparency Platform CSV export, with ``MTU (UTC)`` or ``MTU (CET/CEST)``
  periods such as ``"27/10/2024 02:00:00 (CEST) - 27/10/2024 02:00:00 (CET)"``, hourly or
  15-minute, prices in EUR/MWh;
- ``datetime_utc,datetime_local,price_eur_per_mwh`` (hourly, ``../shared/data``);
- ``datetime_utc,datetime_local,price_eur_per_kwh,price_eur_per_mwh`` (15 minutes);
- ``datum_nl;datum_utc;prijs_excl_belastingen`` (semicolons, decimal commas, EUR/kWh).

Hourly values are spread over the hour's four 15-minute slots. Local times are resolved with
the CET/CEST marker where the export gives one, so the repeated hour of the October clock change
lands on the right UTC instant and the missing March hour is never invented.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

SLOT = timedelta(minutes=15)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MWH = Decimal(1000)


class PriceFileError(ValueError):
    """A file that cannot be read; ``str()`` is one line naming the line number."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class PricePoint:
    start: datetime  # UTC, on the 15-minute grid
    eur_per_kwh: Decimal


def _decimal(text: str, line: int, *, comma: bool = False) -> Decimal:
    raw = text.strip().replace(",", ".") if comma else text.strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise PriceFileError(line, f"{text!r} is not a price") from None
    if not value.is_finite():
        raise PriceFileError(line, f"{text!r} is not a finite price")
    return value


def _utc(text: str, line: int) -> datetime:
    raw = text.strip()
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise PriceFileError(line, f"{text!r} is not a date and time") from None
    if value.tzinfo is None:  # the semicolon format gives naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


_MTU_PART = re.compile(
    r"^\s*(\d{2})[./](\d{2})[./](\d{4}) (\d{2}):(\d{2})(?::(\d{2}))?\s*(?:\((CET|CEST)\))?\s*$"
)


def _mtu_instant(text: str, line: int, *, local: bool) -> datetime:
    match = _MTU_PART.match(text)
    if not match:
        raise PriceFileError(line, f"{text.strip()!r} is not an MTU time")
    day, month, year, hour, minute, second, marker = match.groups()
    try:
        naive = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        raise PriceFileError(line, f"{text.strip()!r} is not a valid date") from None
    if not local:
        return naive.replace(tzinfo=UTC)
    # fold=1 picks the second (CET) occurrence of the repeated October hour.
    aware = naive.replace(tzinfo=AMSTERDAM, fold=1 if marker == "CET" else 0)
    if aware.astimezone(UTC).astimezone(AMSTERDAM).replace(tzinfo=None) != naive:
        raise PriceFileError(line, f"{text.strip()!r} does not exist in Europe/Amsterdam")
    return aware.astimezone(UTC)


def _spread(start: datetime, end: datetime, price: Decimal, line: int) -> list[PricePoint]:
    if start.minute % 15 or start.second or end <= start or (end - start) % SLOT:
        raise PriceFileError(line, "the period is not whole 15-minute slots")
    count = (end - start) // SLOT
    if count > 4:
        raise PriceFileError(line, "periods longer than one hour are not day-ahead prices")
    return [PricePoint(start + i * SLOT, price) for i in range(count)]


def parse_price_file(text: str) -> list[PricePoint]:
    """Every 15-minute price in ``text``, sorted; raises ``PriceFileError`` on the first fault."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or not lines[0].strip():
        raise PriceFileError(1, "the file is empty")
    header = lines[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    rows = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    columns = [c.strip().lower() for c in next(rows)]
    points: list[PricePoint] = []

    if columns and columns[0].startswith("mtu"):
        local = "utc" not in columns[0]
        price_col = next((i for i, c in enumerate(columns) if "day-ahead price" in c), None)
        if price_col is None:
            raise PriceFileError(1, "no 'Day-ahead Price [EUR/MWh]' column")
        for number, row in enumerate(rows, start=2):
            if not row or not "".join(row).strip():
                continue
            if len(row) <= price_col or " - " not in row[0]:
                raise PriceFileError(number, "expected an MTU period and a price")
            if row[price_col].strip() in {"", "-", "n/e"}:
                raise PriceFileError(number, "the price is missing")
            first, last = row[0].split(" - ", 1)
            start = _mtu_instant(first, number, local=local)
            end = _mtu_instant(last, number, local=local)
            price = _decimal(row[price_col], number) / MWH
            points.extend(_spread(start, end, price, number))
    elif columns[:2] == ["datetime_utc", "datetime_local"]:
        per_kwh = "price_eur_per_kwh" in columns
        price_col = (
            columns.index("price_eur_per_kwh" if per_kwh else "price_eur_per_mwh")
            if ("price_eur_per_kwh" in columns or "price_eur_per_mwh" in columns)
            else None
        )
        if price_col is None:
            raise PriceFileError(1, "no price_eur_per_kwh or price_eur_per_mwh column")
        parsed: list[tuple[int, datetime, Decimal]] = []
        for number, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) <= price_col:
                raise PriceFileError(number, f"expected {len(columns)} columns, found {len(row)}")
            price = _decimal(row[price_col], number)
            parsed.append((number, _utc(row[0], number), price if per_kwh else price / MWH))
        points.extend(_spread_series(parsed))
    elif columns[:3] == ["datum_nl", "datum_utc", "prijs_excl_belastingen"]:
        parsed = []
        for number, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) < 3:
                raise PriceFileError(number, f"expected 3 columns, found {len(row)}")
            parsed.append((number, _utc(row[1], number), _decimal(row[2], number, comma=True)))
        points.extend(_spread_series(parsed))
    else:
        raise PriceFileError(1, "unknown format: expected an ENTSO-E export or a known header")

    if not points:
        raise PriceFileError(len(lines), "the file holds no prices")
    points.sort(key=lambda p: p.start)
    for before, after in itertools.pairwise(points):
        if before.start == after.start:
            raise PriceFileError(1, f"two prices for {after.start:%Y-%m-%d %H:%M} UTC")
    return points


def _spread_series(parsed: list[tuple[int, datetime, Decimal]]) -> list[PricePoint]:
    """Rows with only a start: each lasts until the next row, or the file's resolution."""
    if not parsed:
        return []
    steps = [b[1] - a[1] for a, b in itertools.pairwise(parsed) if b[1] > a[1]]
    resolution = min(steps) if steps else timedelta(hours=1)
    points: list[PricePoint] = []
    for number, start, price in parsed:
        points.extend(_spread(start, start + resolution, price, number))
    return points
