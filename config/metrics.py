"""``/metrics`` in Prometheus' text format, read from the database at scrape time.

Web, workers and the OCPP server are separate processes (several of each), so counting in
memory would give each its own numbers; the database has the one truth. Counts of dispatch runs
cover a sliding window (``RUN_WINDOW``) and are gauges, since runs are purged after
``DISPATCH_RUN_RETENTION_DAYS``.

HTTP requests are counted in the web process itself, by django-prometheus' two middlewares
(``django_http_*``). Under gunicorn each worker counts its own, so with
``PROMETHEUS_MULTIPROC_DIR`` set prometheus_client keeps every worker's numbers in a file of
that directory and a scrape, whichever worker answers it, adds them up; without it (runserver,
tests) they come from this process's default registry. django-prometheus' own ``/metrics`` URL
is not mounted: everything is served here, behind the same check.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

RUN_WINDOW = timedelta(hours=24)
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
OPEN_FLEX_STATUSES = ("draft", "offered")


class WisselstroomCollector(Collector):
    """Dispatch, plans, chargers, flexibility and bookings, per hub."""

    def collect(self) -> Iterator[Metric]:
        from energy.models import Charger, ChargerStatus, DispatchRun, FlexOffer, RunStatus
        from sharing.models import Booking, BookingStatus, Hub

        now = timezone.now()
        slugs = dict(Hub.objects.values_list("pk", "slug"))

        last = GaugeMetricFamily(
            "wisselstroom_dispatch_solve_seconds",
            "Solver seconds of the hub's latest finished dispatch run",
            labels=["hub"],
        )
        latest = DispatchRun.objects.filter(
            hub=OuterRef("pk"), finished_at__isnull=False, solver_seconds__isnull=False
        ).order_by("-finished_at")
        for hub_id, seconds in Hub.objects.annotate(
            seconds=Subquery(latest.values("solver_seconds")[:1])
        ).values_list("pk", "seconds"):
            if seconds is not None:
                last.add_metric([slugs[hub_id]], seconds)
        yield last

        recent = DispatchRun.objects.filter(created_at__gte=now - RUN_WINDOW)
        slowest = GaugeMetricFamily(
            "wisselstroom_dispatch_solve_seconds_max",
            "Longest solver seconds of the hub's dispatch runs in the last 24 hours",
            labels=["hub"],
        )
        fallbacks = GaugeMetricFamily(
            "wisselstroom_dispatch_fallback_runs",
            "Dispatch runs of the last 24 hours whose plan is the safe fallback",
            labels=["hub"],
        )
        per_hub = recent.values("hub").annotate(
            slowest=Max("solver_seconds"), fallbacks=Count("pk", filter=Q(fallback_used=True))
        )
        for row in per_hub.order_by("hub"):
            if row["slowest"] is not None:
                slowest.add_metric([slugs[row["hub"]]], row["slowest"])
            fallbacks.add_metric([slugs[row["hub"]]], row["fallbacks"])
        yield slowest
        yield fallbacks

        runs = GaugeMetricFamily(
            "wisselstroom_dispatch_runs",
            "Dispatch runs started in the last 24 hours, by outcome (failed and invalid included)",
            labels=["hub", "status"],
        )
        counted = {
            (row["hub"], row["status"]): row["n"]
            for row in recent.values("hub", "status").annotate(n=Count("pk")).order_by()
        }
        for hub_id, slug in sorted(slugs.items(), key=lambda item: item[1]):
            for status in RunStatus.values:
                runs.add_metric([slug, status], counted.get((hub_id, status), 0))
        yield runs

        age = GaugeMetricFamily(
            "wisselstroom_plan_age_seconds",
            "Seconds since the hub's live plan was made (hubs with a site and a live plan)",
            labels=["hub"],
        )
        live = GaugeMetricFamily(
            "wisselstroom_plan_live",
            "1 when the planned hub has a live plan, else 0",
            labels=["hub"],
        )
        current = DispatchRun.objects.filter(hub=OuterRef("pk"), is_current=True)
        planned = Hub.objects.filter(site__isnull=False).annotate(
            made=Subquery(current.values(made_at=Coalesce("finished_at", "created_at"))[:1])
        )
        for slug, made in planned.order_by("slug").values_list("slug", "made"):
            live.add_metric([slug], 0 if made is None else 1)
            if made is not None:
                age.add_metric([slug], (now - made).total_seconds())
        yield age
        yield live

        chargers = GaugeMetricFamily(
            "wisselstroom_chargers", "Chargers by OCPP status", labels=["hub", "status"]
        )
        connected = GaugeMetricFamily(
            "wisselstroom_chargers_connected",
            "Chargers with an open OCPP connection (any status but offline)",
            labels=["hub"],
        )
        by_status: dict[tuple[int, str], int] = {
            (row["bay__hub"], row["status"]): row["n"]
            for row in Charger.objects.values("bay__hub", "status")
            .annotate(n=Count("pk"))
            .order_by()
        }
        charger_hubs = sorted({hub_id for hub_id, _ in by_status}, key=lambda pk: slugs[pk])
        for hub_id in charger_hubs:
            for status in ChargerStatus.values:
                chargers.add_metric([slugs[hub_id], status], by_status.get((hub_id, status), 0))
            connected.add_metric(
                [slugs[hub_id]],
                sum(
                    n
                    for (h, s), n in by_status.items()
                    if h == hub_id and s != ChargerStatus.OFFLINE
                ),
            )
        yield chargers
        yield connected

        flex = GaugeMetricFamily(
            "wisselstroom_flex_open_kw",
            "Flexibility (kW summed over slots) not yet begun, planned (draft) or offered",
            labels=["hub", "direction", "status"],
        )
        flex_slots = GaugeMetricFamily(
            "wisselstroom_flex_open_slots",
            "Slots not yet begun with a draft or offered flexibility offer",
            labels=["hub", "status"],
        )
        open_offers = (
            FlexOffer.objects.filter(start__gte=now, status__in=OPEN_FLEX_STATUSES)
            .values("hub", "status")
            .annotate(up=Sum("up_kw"), down=Sum("down_kw"), n=Count("pk"))
            .order_by("hub", "status")
        )
        for offers in open_offers:
            slug = slugs[offers["hub"]]
            flex.add_metric([slug, "up", offers["status"]], float(offers["up"] or 0))
            flex.add_metric([slug, "down", offers["status"]], float(offers["down"] or 0))
            flex_slots.add_metric([slug, offers["status"]], offers["n"])
        yield flex
        yield flex_slots

        bookings = GaugeMetricFamily(
            "wisselstroom_bookings", "Bookings by status", labels=["hub", "status"]
        )
        booked = {
            (row["hub"], row["status"]): row["n"]
            for row in Booking.objects.values("hub", "status").annotate(n=Count("pk")).order_by()
        }
        for hub_id, slug in sorted(slugs.items(), key=lambda item: item[1]):
            for status in BookingStatus.values:
                bookings.add_metric([slug, status], booked.get((hub_id, status), 0))
        yield bookings


def multiprocess_dir() -> Path | None:
    """Where gunicorn's workers keep their counters, or ``None`` when this process keeps its own
    (prometheus_client reads the same variable when it is imported)."""
    raw = os.environ.get(MULTIPROCESS_ENV, "")
    return Path(raw) if raw else None


def multiprocess_prepare() -> None:
    """In gunicorn's master, before any worker starts: the directory exists and holds no
    counters of an earlier run, which would otherwise be added to this one's."""
    directory = multiprocess_dir()
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def multiprocess_worker_exited(pid: int) -> None:
    """gunicorn's ``child_exit``: the dead worker's live gauges go; its counters stay counted."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid)


class RequestCollector(Collector):
    """django-prometheus' request, response and latency families: every gunicorn worker's, added
    up, in multiprocess mode; otherwise this process's default registry (which also carries the
    ``process_*`` and ``python_*`` families of the process)."""

    def collect(self) -> Iterator[Metric]:
        if multiprocess_dir() is not None:
            # Built per scrape: it reads the files the workers have written by now.
            yield from multiprocess.MultiProcessCollector(None).collect()
        else:
            yield from REGISTRY.collect()


registry = CollectorRegistry(auto_describe=False)
registry.register(WisselstroomCollector())
registry.register(RequestCollector())


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer":
        return hmac.compare_digest(given.strip().encode(), token.encode())
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_staff)


def metrics(request: HttpRequest) -> HttpResponse:
    """Staff (logged in) or a scraper with ``Authorization: Bearer $METRICS_TOKEN``."""
    if not _allowed(request):
        response = HttpResponse("metrics are for staff or a bearer token\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
