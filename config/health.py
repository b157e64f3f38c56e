"""What ``/healthz`` checks: the database, Redis, that a Celery worker answers, and that every
planned hub's live plan is recent. Each check is quick and bounded: a Redis or a broker that does
not answer costs at most about a second, never a hung probe.

The two answers (``healthz``, ``liveness``) live here with the middleware that serves them
first; ``config.urls`` routes the same paths to them.

What failed and why (addresses, error text, hub and worker names) is for operators: a probe from
inside (a loopback or private address, straight, with no ``X-Forwarded-For``, as Docker's and
Kubernetes' probes are) or one with ``Authorization: Bearer $HEALTH_TOKEN`` gets the whole
answer; anyone else, the public through a proxy included, gets the status alone. The log line
of an unhealthy probe always has the details."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from config.outage import reason, where

HEALTH_PATHS = {"/healthz", "/healthz/live"}
# Where a probe from inside comes from: loopback, and the private ranges of RFC 1918 and 4193
# (not every range ``ipaddress`` calls private: the documentation ranges are public here).
INSIDE = tuple(
    ipaddress.ip_network(n)
    for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7")
)
logger = logging.getLogger("wisselstroom.health")


@dataclass(frozen=True)
class Check:
    """One check's answer: what to show, and the problem (``None`` when healthy)."""

    shown: object
    problem: str | None = None


def database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return Check(
            connection.vendor, f"database ({connection.vendor}) is unreachable: {reason(exc)}"
        )
    return Check(connection.vendor)


def redis_server(url: str | None) -> Check:
    if not url:
        return Check("not configured")
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        return Check("unreachable", f"redis at {where(url)} is unreachable: {reason(exc)}")
    finally:
        client.close()
    return Check("ok")


class _WorkerPing:
    """``celery inspect ping`` with a deadline, remembered for a few seconds per process so that
    a probe every second does not broadcast every second (and concurrent probes share one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answer: tuple[float, str, Check] | None = None

    def forget(self) -> None:
        self._answer = None

    def __call__(self, *, timeout: float, remember: float) -> Check:
        from config.celery import app

        broker = str(app.conf.broker_url)
        with self._lock:
            if self._answer is not None:
                at, for_broker, check = self._answer
                if for_broker == broker and time.monotonic() - at < remember:
                    return check
            check = self._ping(app, timeout)
            self._answer = (time.monotonic(), broker, check)
            return check

    @staticmethod
    def _ping(app: object, timeout: float) -> Check:
        replies: list[object] = []
        failure: list[BaseException] = []

        def ping() -> None:
            try:
                replies.extend(app.control.ping(timeout=timeout))  # type: ignore[attr-defined]
            except Exception as exc:  # a broker error of any kind is an unhealthy answer
                failure.append(exc)

        # In a thread of its own: a publish that hangs (a broker that drops packets) costs the
        # probe its deadline, not its request.
        thread = threading.Thread(target=ping, name="healthz-worker-ping", daemon=True)
        thread.start()
        thread.join(timeout + 1.0)
        if failure:
            return Check(
                "unreachable", f"celery broker did not take the ping: {reason(failure[0])}"
            )
        if thread.is_alive() or not replies:
            return Check("no answer", f"no celery worker answered a ping within {timeout:g} s")
        names = sorted(name for reply in replies if isinstance(reply, dict) for name in reply)
        return Check({"answered": names})


worker_ping = _WorkerPing()


def celery_worker(*, broker_down: bool) -> Check:
    from config.celery import app

    if app.conf.task_always_eager:
        return Check("in-process")  # no broker: the web process runs the tasks itself
    if broker_down:
        return Check("not checked", "celery worker not checked: its broker (redis) is unreachable")
    return worker_ping(
        timeout=settings.HEALTH_WORKER_TIMEOUT_SECONDS,
        remember=settings.HEALTH_WORKER_CACHE_SECONDS,
    )


def plan_ages(now: datetime | None = None) -> tuple[dict[str, object], list[str]]:
    """Per planned hub (one with a site): how old its live plan is; a hub without one, or with
    one older than ``HEALTH_PLAN_MAX_AGE_MINUTES``, is a problem that names the hub."""
    from energy.models import DispatchRun
    from sharing.models import Hub

    now = now or timezone.now()
    limit = timedelta(minutes=settings.HEALTH_PLAN_MAX_AGE_MINUTES)
    live = DispatchRun.objects.filter(hub=OuterRef("pk"), is_current=True)
    hubs = (
        Hub.objects.filter(site__isnull=False)
        .annotate(made=Subquery(live.values(made_at=Coalesce("finished_at", "created_at"))[:1]))
        .order_by("slug")
        .values_list("slug", "made")
    )
    shown: dict[str, object] = {}
    problems = []
    for slug, made in hubs:
        if made is None:
            shown[slug] = {"status": "missing"}
            problems.append(f"hub {slug} has no live plan")
            continue
        age = now - made
        stale = age > limit
        shown[slug] = {
            "status": "stale" if stale else "ok",
            "age_minutes": round(age / timedelta(minutes=1), 1),
        }
        if stale:
            problems.append(
                f"hub {slug}: live plan is {age // timedelta(minutes=1)} minutes old "
                f"(more than {settings.HEALTH_PLAN_MAX_AGE_MINUTES})"
            )
    return shown, problems


def report() -> tuple[bool, dict[str, object]]:
    """Every check, in order; healthy when none has a problem."""
    db = database()
    cache = redis_server(settings.REDIS_URL)
    worker = celery_worker(broker_down=cache.problem is not None)
    problems = [check.problem for check in (db, cache, worker) if check.problem]
    body: dict[str, object] = {"database": db.shown, "redis": cache.shown, "worker": worker.shown}
    if db.problem is None:
        try:
            body["plans"], plan_problems = plan_ages()
        except DatabaseError as exc:
            body["plans"], plan_problems = {}, [f"plans could not be read: {reason(exc)}"]
        problems += plan_problems
    healthy = not problems
    return healthy, {"status": "ok" if healthy else "unhealthy", "problems": problems, **body}


def shows_details(request: HttpRequest) -> bool:
    """An operator's probe: the health token, or straight from a loopback or private address."""
    token = settings.HEALTH_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer":
        return hmac.compare_digest(given.strip().encode(), token.encode())
    if request.META.get("HTTP_X_FORWARDED_FOR"):
        return False  # through a proxy: the public, as far as this process can tell
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in network for network in INSIDE)


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, Redis, a Celery worker and every hub's live plan are fine; 503
    naming each that is not to an operator, the status alone to anyone else."""
    healthy, body = report()
    shown = body if shows_details(request) else {"status": body["status"]}
    response = JsonResponse(shown, status=200 if healthy else 503)
    if not healthy:
        # One warning per probe, not Django's ERROR for a 503, which mails the admins: a probe
        # every few seconds during an outage would flood their mailbox.
        logger.warning("unhealthy: %s", "; ".join(cast(list[str], body["problems"])))
        setattr(response, "_has_been_logged", True)  # noqa: B010 - read by django.utils.log
    return response


def liveness(request: HttpRequest) -> JsonResponse:
    """200 whenever this process serves requests: the container's own health check, which must
    not fail (and restart web) because a worker or a hub's plan is late."""
    return JsonResponse({"status": "ok"})


class HealthCheckMiddleware:
    """Answers the health paths first, before the host check and the HTTPS redirect: a probe
    from inside (Docker, a load balancer) uses an address, not the public host name."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in HEALTH_PATHS:
            if request.path_info == "/healthz":
                return healthz(request)
            return liveness(request)
        return self.get_response(request)
