"""The site meter's readings: checked (``site_reading_check``), read from a CSV file
(``site_readings_parse``), and kept once per reading time, summed per ISP
(``site_readings_record``), for the API and ``manage.py import_site_meter`` alike.

A reading is the connection's net power at one instant (kW, positive: the hub imports). The
first reading of a time is kept; the same time sent again (a retried batch, a file imported
twice) is counted as already known and changes nothing, so a meter may always resend.
"""

from __future__ import annotations

import csv
import io
import math
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from energy.grid.models import SiteIspPower, SiteMeter, SiteMeterReading, token_digest
from sharing.models import Hub

MAX_NET_KW = 100_000.0  # 100 MW: far beyond any hub's connection
MAX_AHEAD = timedelta(minutes=5)  # a meter's clock may run a little fast, not more
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_READINGS = 1000  # per request


@dataclass(frozen=True)
class SiteReading:
    at: datetime
    net_kw: float


@dataclass(frozen=True)
class ReadingsOutcome:
    recorded: int
    already_known: int
    first: datetime | None
    last: datetime | None


class ReadingError(ValueError):
    """A reading (or a file of them) that cannot be kept; the message says why."""


def site_reading_check(at: datetime, net_kw: float, *, now: datetime) -> str | None:
    """Why the reading cannot be kept, or None."""
    if timezone.is_naive(at):
        return "the time has no UTC offset (send e.g. 2026-03-01T12:00:00+01:00)"
    if at > now + MAX_AHEAD:
        return "the time is in the future"
    if at < EARLIEST:
        return "the time is before 2000"
    if not math.isfinite(net_kw) or abs(net_kw) > MAX_NET_KW:
        return f"net_kw must be a number between -{MAX_NET_KW:.0f} and {MAX_NET_KW:.0f}"
    return None


def site_readings_parse(text: str, *, now: datetime | None = None) -> list[SiteReading]:
    """A CSV file with the header ``at,net_kw`` (ISO 8601 times with their offset); the first
    bad line raises ``ReadingError`` naming it."""
    now = now or timezone.now()
    rows = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(rows, [])]
    if header[:2] != ["at", "net_kw"]:
        raise ReadingError("line 1: the header must be 'at,net_kw'")
    readings: list[SiteReading] = []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2:
            raise ReadingError(f"line {number}: two columns expected (at, net_kw)")
        cell_at, cell_kw = row[0].strip(), row[1].strip()
        try:
            at = datetime.fromisoformat(cell_at)
        except ValueError:
            raise ReadingError(f"line {number}: {cell_at!r} is not an ISO 8601 time") from None
        try:
            net_kw = float(cell_kw)
        except ValueError:
            raise ReadingError(f"line {number}: {cell_kw!r} is not a number") from None
        problem = site_reading_check(at, net_kw, now=now)
        if problem:
            raise ReadingError(f"line {number}: {problem}")
        readings.append(SiteReading(at, net_kw))
    if not readings:
        raise ReadingError("no readings in the file")
    return readings


def _isp_start(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def _new_readings(hub: Hub, readings: Sequence[SiteReading]) -> list[SiteReading]:
    """Insert what is new; the readings actually inserted (a concurrent writer of the same time
    wins and its reading is the one kept)."""
    unique: dict[datetime, SiteReading] = {}
    for r in readings:
        unique.setdefault(r.at, r)
    known = set(
        SiteMeterReading.objects.filter(hub=hub, at__in=list(unique)).values_list("at", flat=True)
    )
    fresh = [r for at, r in unique.items() if at not in known]
    try:
        with transaction.atomic():
            SiteMeterReading.objects.bulk_create(
                SiteMeterReading(hub=hub, at=r.at, net_kw=r.net_kw) for r in fresh
            )
        return fresh
    except IntegrityError:  # another batch wrote some of these times meanwhile: one by one
        inserted = []
        for r in fresh:
            try:
                with transaction.atomic():
                    SiteMeterReading.objects.create(hub=hub, at=r.at, net_kw=r.net_kw)
                inserted.append(r)
            except IntegrityError:
                pass
        return inserted


def _add_to_isp(hub: Hub, start: datetime, sum_kw: float, samples: int) -> None:
    rows = SiteIspPower.objects.filter(hub=hub, start=start)
    change = {"power_sum_kw": F("power_sum_kw") + sum_kw, "samples": F("samples") + samples}
    if rows.update(**change):
        return
    try:
        with transaction.atomic():
            SiteIspPower.objects.create(hub=hub, start=start, power_sum_kw=sum_kw, samples=samples)
    except IntegrityError:  # a concurrent first reading of the same ISP
        rows.update(**change)


def site_readings_record(*, hub: Hub, readings: Sequence[SiteReading]) -> ReadingsOutcome:
    """Keep the readings not yet known (by time) and add them to their ISPs' sums, at once."""
    with transaction.atomic():
        fresh = _new_readings(hub, readings)
        per_isp: dict[datetime, list[float]] = defaultdict(list)
        for r in fresh:
            per_isp[_isp_start(r.at)].append(r.net_kw)
        for start, values in sorted(per_isp.items()):
            _add_to_isp(hub, start, sum(values), len(values))
        if fresh:
            newest = max(r.at for r in fresh)
            SiteMeter.objects.filter(hub=hub).exclude(last_reading_at__gte=newest).update(
                last_reading_at=newest
            )
    times = [r.at for r in readings]
    return ReadingsOutcome(
        recorded=len(fresh),
        already_known=len(readings) - len(fresh),
        first=min(times) if times else None,
        last=max(times) if times else None,
    )


def site_meter_token_issue(*, meter: SiteMeter) -> str:
    """A new API token for ``meter`` (the old one stops working). Shown once: only its digest
    is stored."""
    token = secrets.token_urlsafe(32)
    meter.token_digest = token_digest(token)
    meter.token_prefix = token[:8]
    meter.save(update_fields=["token_digest", "token_prefix"])
    return token
