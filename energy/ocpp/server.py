"""The websocket server: who may connect, one :class:`Station` per charger, set-points per slot.

A charger connects to ``ws://<host>:<port>/ocpp/<ocpp_id>`` offering ``ocpp2.1``,
``ocpp2.0.1`` or ``ocpp1.6`` (the newest both sides speak wins) with HTTP Basic auth: user name
= its ``ocpp_id``, password = the one a fleet admin set (OCPP security profile 1; put a TLS
proxy in front for profile 2). Anything else is refused in the handshake: a wrong path with 404,
missing or wrong credentials, an unknown charger or one without a password with 401, too many
attempts from one address with 429 (see :mod:`energy.ocpp.credentials`, which keeps password
hashing off the event loop and off the database thread the connected chargers share).

Set-points: once the charger has booted (or after a short grace, for a charger that reconnects
without booting), then whenever the plan's set-point for its bay changes: at every slot
boundary and, checked every minute, when a re-plan makes a new plan live mid-slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import time
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidHeader
from websockets.headers import build_www_authenticate_basic, parse_authorization_basic
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from config.net import client_address
from energy.ocpp.credentials import PasswordChecks, Verdict
from energy.ocpp.profiles import OCPP16, OCPP21, OCPP201
from energy.ocpp.stations import STATIONS, Station, TransactionIds, db
from energy.services import chargers

logger = logging.getLogger("energy.ocpp")

SUBPROTOCOLS = [Subprotocol(p) for p in (OCPP21, OCPP201, OCPP16)]
# A plain HTTP GET here answers 200 from the event loop that serves the chargers.
HEALTH_PATH = "/healthz"
PATH = re.compile(r"^/ocpp/(?P<ocpp_id>[^/]+)/?$")
REALM = "Wisselstroom OCPP"
SLOT = timedelta(minutes=15)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_ID_LENGTH = 48  # OCPP's identity (2.x identifierString), and Charger.ocpp_id
BUSY_RETRY_AFTER = 5
FLOOD_LOG_SECONDS = 10.0


def remote_host(connection: ServerConnection, request: Request | None = None) -> str:
    """The client's IP address: the peer's, or behind one of ``TRUSTED_PROXIES`` the address
    its ``X-Forwarded-For`` names (see :mod:`config.net`; anyone else's header is ignored)."""
    address = connection.remote_address
    peer = str(address[0]) if isinstance(address, tuple) and address else str(address)
    if request is None:
        return peer
    forwarded = request.headers.get("X-Forwarded-For", "")
    return client_address(peer, forwarded, getattr(settings, "TRUSTED_PROXIES", ()))


def seconds_to_next_slot(now: datetime) -> float:
    # Slots start every quarter of an hour of UTC (and so of every hub's clock).
    return (SLOT - (now - EPOCH) % SLOT).total_seconds()


class CentralSystem:
    """The chargers connected to this process and what was last set on each."""

    def __init__(
        self,
        *,
        boot_grace_seconds: float = 5.0,
        response_timeout: float = 10.0,
        refresh_seconds: float = 60.0,
        password_checks: PasswordChecks | None = None,
    ) -> None:
        self.boot_grace_seconds = boot_grace_seconds
        self.response_timeout = response_timeout
        self.refresh_seconds = refresh_seconds
        self.stations: dict[str, Station] = {}
        self.sent: dict[str, tuple[Decimal, datetime]] = {}
        self.transaction_ids = TransactionIds()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server: Server | None = None
        self.password_checks = password_checks or PasswordChecks()
        self._floods: dict[HTTPStatus, tuple[int, float]] = {}  # refusals not yet logged, when

    # --- Handshake ------------------------------------------------------------------------

    async def authenticate(self, connection: ServerConnection, request: Request) -> Response | None:
        """``process_request``: the path names the charger, Basic auth proves it is that one."""
        if urlsplit(request.path).path == HEALTH_PATH:  # the container's health check
            return connection.respond(HTTPStatus.OK, "ok\n")
        match = PATH.match(urlsplit(request.path).path)
        if match is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "Not found\n")
        ocpp_id = unquote(match["ocpp_id"])
        if not ocpp_id.isprintable() or len(ocpp_id) > MAX_ID_LENGTH:
            # No charger can have such an id (and PostgreSQL refuses a NUL in a query).
            return self._unauthorized(connection, ocpp_id, "not a charger id")
        try:
            username, password = parse_authorization_basic(request.headers["Authorization"])
        except (LookupError, InvalidHeader):
            return self._unauthorized(connection, ocpp_id, "no usable credentials")
        if username != ocpp_id:
            return self._unauthorized(connection, ocpp_id, "user name is not the charger's id")
        address = remote_host(connection, request)
        try:
            verdict = await self.password_checks.check(
                ocpp_id=ocpp_id, password=password, address=address
            )
        except Exception:
            logger.exception("%s: credentials could not be checked", ocpp_id)
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "Try again later\n")
        if verdict is Verdict.LIMITED:
            self._log_refused(HTTPStatus.TOO_MANY_REQUESTS, "too many handshakes from one address")
            seconds = self.password_checks.limiter.retry_after(address)
            return self._retry_later(connection, HTTPStatus.TOO_MANY_REQUESTS, seconds)
        if verdict is Verdict.BUSY:
            self._log_refused(HTTPStatus.SERVICE_UNAVAILABLE, "too many password checks queued")
            return self._retry_later(connection, HTTPStatus.SERVICE_UNAVAILABLE, BUSY_RETRY_AFTER)
        if verdict is Verdict.INVALID:
            return self._unauthorized(connection, ocpp_id, "unknown charger or wrong password")
        connection.username = ocpp_id
        return None

    def _unauthorized(self, connection: ServerConnection, ocpp_id: str, why: str) -> Response:
        shown = ocpp_id if ocpp_id.isprintable() else ascii(ocpp_id)
        logger.warning("%s: refused from %s: %s", shown[:80], connection.remote_address, why)
        response = connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
        headers: Headers = response.headers
        headers["WWW-Authenticate"] = build_www_authenticate_basic(REALM)
        return response

    def _log_refused(self, status: HTTPStatus, why: str) -> None:
        """A flood of 429s / 503s is one line per ``FLOOD_LOG_SECONDS`` each, not one a refusal."""
        count, logged_at = self._floods.get(status, (0, -FLOOD_LOG_SECONDS))
        now = time.monotonic()
        if now - logged_at >= FLOOD_LOG_SECONDS:
            logger.warning("%d handshake(s) refused with %d: %s", count + 1, status, why)
            self._floods[status] = (0, now)
        else:
            self._floods[status] = (count + 1, logged_at)

    @staticmethod
    def _retry_later(connection: ServerConnection, status: HTTPStatus, seconds: int) -> Response:
        response = connection.respond(status, "Try again later\n")
        headers: Headers = response.headers
        headers["Retry-After"] = str(seconds)
        return response

    # --- One connection -------------------------------------------------------------------

    async def handle(self, connection: ServerConnection) -> None:
        ocpp_id = connection.username
        protocol = connection.subprotocol or ""
        station_class = STATIONS.get(protocol)
        if station_class is None:  # websockets already refuses a handshake without one
            await connection.close(1002, "unsupported subprotocol")
            return
        station = station_class(ocpp_id, connection, response_timeout=self.response_timeout)
        station.setup(transaction_ids=self.transaction_ids)
        previous = self.stations.get(ocpp_id)
        self.stations[ocpp_id] = station
        self.sent.pop(ocpp_id, None)
        if previous is not None:
            logger.info("%s: connected again; closing the older connection", ocpp_id)
            self._spawn(previous._connection.close(1000, "replaced by a newer connection"))
        logger.info("%s: connected (%s) from %s", ocpp_id, protocol, connection.remote_address)
        await db(chargers.charger_connected)(ocpp_id=ocpp_id, protocol=protocol)
        first = self._spawn(self._first_setpoint(station))
        try:
            await station.start()
        except ConnectionClosed:
            pass
        finally:
            first.cancel()
            if self.stations.get(ocpp_id) is station:
                del self.stations[ocpp_id]
                self.sent.pop(ocpp_id, None)
                await db(chargers.charger_disconnected)(ocpp_id=ocpp_id)
            logger.info("%s: disconnected", ocpp_id)

    async def _first_setpoint(self, station: Station) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(station.booted.wait(), self.boot_grace_seconds)
        await self.push_setpoint(station)

    # --- Set-points -----------------------------------------------------------------------

    async def push_setpoint(self, station: Station, *, only_changes: bool = False) -> None:
        """Send ``station`` its planned set-point (when it changed, with ``only_changes``)."""
        planned = await db(chargers.charger_setpoint_planned)(
            ocpp_id=station.id, at=datetime.now(UTC)
        )
        if planned is None:
            logger.info("%s: no live plan covers this slot; no set-point sent", station.id)
            return
        if only_changes and self.sent.get(station.id) == planned:
            return
        kw, slot_start = planned
        if await station.send_setpoint(kw=kw, slot_start=slot_start) is not None:
            self.sent[station.id] = planned

    async def push_setpoints(self, *, only_changes: bool = False) -> None:
        """Every connected charger at once; one failing does not hold up the others."""
        stations = list(self.stations.values())
        results = await asyncio.gather(
            *(self.push_setpoint(s, only_changes=only_changes) for s in stations),
            return_exceptions=True,
        )
        for station, result in zip(stations, results, strict=True):
            if isinstance(result, Exception):
                logger.error("%s: set-point failed", station.id, exc_info=result)

    async def setpoint_loop(self) -> None:
        """Wake at each slot boundary (a second after, so "now" is inside the new slot) and
        every ``refresh_seconds`` between, and send the chargers whose set-point changed."""
        while True:
            wait = seconds_to_next_slot(datetime.now(UTC)) + 1.0
            await asyncio.sleep(min(wait, self.refresh_seconds))
            await self.push_setpoints(only_changes=True)

    # --- Life cycle -----------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("OCPP background task failed", exc_info=task.exception())

    async def start(self, host: str, port: int) -> Server:
        """Listen (``port`` 0 picks a free one) and start the set-point loop."""
        self._server = await serve(
            self.handle,
            host,
            port,
            subprotocols=SUBPROTOCOLS,
            process_request=self.authenticate,
            logger=logging.getLogger("energy.ocpp.websockets"),
        )
        self._spawn(self.setpoint_loop())
        return self._server

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.password_checks.close()
        # The server's database connection lives on Django's thread-sensitive thread.
        await sync_to_async(connections.close_all, thread_sensitive=True)()

    async def run(self, host: str, port: int) -> None:
        """Serve until SIGINT or SIGTERM (``manage.py run_ocpp``)."""
        await self.start(host, port)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        try:
            await stopping.wait()
        finally:
            await self.stop()
