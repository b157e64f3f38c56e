"""Pruning the site meter's raw readings (``SiteMeterReading``) past
``SITE_METER_RETENTION_DAYS``, except the evidence of a month still being settled.

The readings are the evidence behind a settlement: while a grid operator has not accepted the
settlement of every one of a hub's UFTP orders of a month (no FlexSettlement of it yet, or the
newest one disputed), that hub's readings of that month (local calendar month) stay, however
old. Orders from API aggregators get no FlexSettlement, so they hold nothing back. The per-ISP
sums the settlement reads (``SiteIspPower``) are small and are kept.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from energy.grid.models import DsoOrderSettlement, GridOrder, SettlementVerdict, SiteMeterReading

BATCH = 5000  # rows a DELETE, so a first prune of years of readings holds no long lock


def _month_bounds(first: date, time_zone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(time_zone)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (
        datetime.combine(first, time.min, tzinfo=tz),
        datetime.combine(following, time.min, tzinfo=tz),
    )


def unsettled_orders() -> QuerySet[GridOrder]:
    """UFTP orders whose grid operator has not (or not yet) accepted their settlement."""
    newest = (
        DsoOrderSettlement.objects.filter(order=OuterRef("pk"))
        .order_by("-settlement__received_at", "-pk")
        .values("verdict")[:1]
    )
    return (
        GridOrder.objects.filter(offer__operator__isnull=False)
        .annotate(verdict=Subquery(newest))
        .filter(Q(verdict__isnull=True) | ~Q(verdict=SettlementVerdict.ACCEPTED))
    )


def site_meter_readings_prune(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """Delete the readings older than the retention period but those of months still being
    settled (see the module); the number deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SITE_METER_RETENTION_DAYS)
    keep = Q()
    held = (
        unsettled_orders()
        .filter(offer__period__lte=cutoff.date() + timedelta(days=1))
        .values_list("offer__hub_id", "offer__hub__time_zone", "offer__period")
        .distinct()
    )
    for hub_id, time_zone, period in {(h, tz, p.replace(day=1)) for h, tz, p in held}:
        lo, hi = _month_bounds(period, time_zone)
        keep |= Q(hub_id=hub_id, at__gte=lo, at__lt=hi)
    doomed = SiteMeterReading.objects.filter(at__lt=cutoff)
    if keep:
        doomed = doomed.exclude(keep)
    deleted = 0
    while pks := list(doomed.order_by().values_list("pk", flat=True)[:batch]):
        count, _ = SiteMeterReading.objects.filter(pk__in=pks).delete()
        deleted += count
    return deleted
