"""One connected charger, per OCPP version: thin handlers that parse and call a service.

The ``ocpp`` library routes each incoming call to the method decorated with ``@on(action)``,
validates it against the version's JSON schema, and answers with what the method returns.
Database work goes through :func:`db`, i.e. ``sync_to_async`` on Django's one thread for
thread-sensitive code, with stale connections dropped first as a request would.

Choices (minimal, documented):

- Every ``BootNotification`` is accepted; the charger is already authenticated by its password.
- Transactions: any id tag / id token is accepted (the hub authorises residents in the web app,
  not at the charger). A 1.6 transaction gets a fresh integer id; start and stop record the
  meter values they carry and mark the charger occupied at the start. The connector status
  that follows is the charger's own ``StatusNotification``.
- 1.6 status of connector 0 (the whole charge point) only counts when it is ``Unavailable`` or
  ``Faulted``; otherwise the connector's own status stands.
- A malformed frame is answered with a CALLERROR (:mod:`energy.ocpp.frames`) and the connection
  carries on; so does it after a handler fails unexpectedly (``InternalError``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections
from ocpp.charge_point import ChargePoint as BaseChargePoint
from ocpp.exceptions import OCPPError
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v16 import datatypes as types16
from ocpp.v21 import call as call21
from ocpp.v21 import call_result as result21
from ocpp.v21 import datatypes as types21
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import datatypes as types201
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from energy.models import ChargerStatus
from energy.ocpp.frames import CALL, call_error, frame_error
from energy.ocpp.meter import read_meter_values
from energy.ocpp.profiles import OCPP16, OCPP21, OCPP201, ocpp_datetime, setpoint_request
from energy.services import chargers

logger = logging.getLogger("energy.ocpp")
P = ParamSpec("P")
R = TypeVar("R")

HEARTBEAT_SECONDS = 300
ACCEPTED = "Accepted"

STATUS_16 = {
    "Available": ChargerStatus.AVAILABLE,
    "Preparing": ChargerStatus.OCCUPIED,
    "Charging": ChargerStatus.OCCUPIED,
    "SuspendedEVSE": ChargerStatus.OCCUPIED,
    "SuspendedEV": ChargerStatus.OCCUPIED,
    "Finishing": ChargerStatus.OCCUPIED,
    "Reserved": ChargerStatus.UNAVAILABLE,
    "Unavailable": ChargerStatus.UNAVAILABLE,
    "Faulted": ChargerStatus.FAULTED,
}
STATUS_2X = {
    "Available": ChargerStatus.AVAILABLE,
    "Occupied": ChargerStatus.OCCUPIED,
    "Reserved": ChargerStatus.UNAVAILABLE,
    "Unavailable": ChargerStatus.UNAVAILABLE,
    "Faulted": ChargerStatus.FAULTED,
}
WHOLE_STATION_STATUSES = {ChargerStatus.UNAVAILABLE, ChargerStatus.FAULTED}


def db(fn: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    """``fn`` run on Django's thread for thread-sensitive code, as one short request."""

    @functools.wraps(fn)
    def fresh(*args: P.args, **kwargs: P.kwargs) -> R:
        close_old_connections()
        return fn(*args, **kwargs)

    return sync_to_async(fresh, thread_sensitive=True)


def now_iso() -> str:
    return ocpp_datetime(datetime.now(UTC))


class TransactionIds:
    """1.6 wants integer transaction ids: seconds since 1970, kept increasing in this process.

    Unique across restarts as long as fewer than one transaction a second starts on average;
    they fit a signed 32-bit integer (as many chargers store them) until 2038.
    """

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        self._last = max(self._last + 1, int(datetime.now(UTC).timestamp()))
        return self._last


class Station:
    """What every version shares: its identity, the boot event and sending a set-point."""

    # Given by the library's ChargePoint, which every concrete station also derives from.
    protocol: str
    id: str
    _connection: ServerConnection
    call: Callable[..., Coroutine[Any, Any, Any]]
    start: Callable[[], Coroutine[Any, Any, None]]

    def setup(self, *, transaction_ids: TransactionIds) -> None:
        self.booted = asyncio.Event()
        self.transaction_ids = transaction_ids

    async def route_message(self, raw_msg: str | bytes) -> None:
        """The library's routing, for frames whose envelope is sound; others get a CALLERROR."""
        answer = frame_error(raw_msg, protocol=self.protocol)
        if answer is not None:
            logger.warning("%s: malformed frame answered with %s", self.id, answer[:120])
            await self._connection.send(answer)
            return
        try:
            await BaseChargePoint.route_message(self, raw_msg)
        except ConnectionClosed:
            raise
        except Exception:
            # The library answers what it expects to fail; anything else must not end the
            # connection, which every later message of this charger needs.
            logger.exception("%s: message could not be handled", self.id)
            frame = json.loads(raw_msg)
            if frame[0] == CALL:
                await self._connection.send(
                    call_error(frame[1], "InternalError", "The message could not be handled")
                )

    async def send_setpoint(self, *, kw: Decimal, slot_start: datetime) -> Decimal | None:
        """Tell the charger to run at ``kw`` from ``slot_start``; return what it accepted."""
        request = setpoint_request(protocol=self.protocol, kw=kw, slot_start=slot_start)
        try:
            response = await self.call(request.payload)
        except (TimeoutError, ConnectionClosed, OCPPError) as exc:
            logger.warning("%s: set-point %s kW not delivered: %r", self.id, kw, exc)
            return None
        status = getattr(response, "status", None)
        if status != ACCEPTED:
            logger.warning("%s: set-point %s kW answered %s", self.id, kw, status)
            return None
        await db(chargers.charger_setpoint_record)(ocpp_id=self.id, kw=request.commanded_kw)
        logger.info("%s: set-point %s kW (planned %s kW)", self.id, request.commanded_kw, kw)
        return request.commanded_kw

    async def _meter(self, meter_value: list[dict[str, Any]] | None) -> None:
        reading = read_meter_values(meter_value)
        await db(chargers.charger_meter_record)(
            ocpp_id=self.id,
            power_kw=reading.power_kw,
            soc_percent=reading.soc_percent,
            soc_at=reading.soc_at,
        )


class Station16(Station, ChargePoint16):
    protocol = OCPP16

    @on("BootNotification")
    async def on_boot_notification(self, **kwargs: Any) -> Any:
        await db(chargers.charger_seen)(ocpp_id=self.id)
        return result16.BootNotification(
            current_time=now_iso(), interval=HEARTBEAT_SECONDS, status=ACCEPTED
        )

    @after("BootNotification")
    def after_boot_notification(self, **kwargs: Any) -> None:
        self.booted.set()

    @on("Heartbeat")
    async def on_heartbeat(self, **kwargs: Any) -> Any:
        await db(chargers.charger_seen)(ocpp_id=self.id)
        return result16.Heartbeat(current_time=now_iso())

    @on("StatusNotification")
    async def on_status_notification(self, connector_id: int, status: str, **kwargs: Any) -> Any:
        mapped = STATUS_16.get(status)
        if mapped is None or (connector_id == 0 and mapped not in WHOLE_STATION_STATUSES):
            await db(chargers.charger_seen)(ocpp_id=self.id)
        else:
            await db(chargers.charger_status_set)(ocpp_id=self.id, status=mapped)
        return result16.StatusNotification()

    @on("MeterValues")
    async def on_meter_values(self, meter_value: list[dict[str, Any]], **kwargs: Any) -> Any:
        await self._meter(meter_value)
        return result16.MeterValues()

    @on("StartTransaction")
    async def on_start_transaction(self, **kwargs: Any) -> Any:
        await db(chargers.charger_status_set)(ocpp_id=self.id, status=ChargerStatus.OCCUPIED)
        return result16.StartTransaction(
            transaction_id=self.transaction_ids.next(),
            id_tag_info=types16.IdTagInfo(status=ACCEPTED),
        )

    @on("StopTransaction")
    async def on_stop_transaction(
        self, transaction_data: list[dict[str, Any]] | None = None, **kwargs: Any
    ) -> Any:
        await self._meter(transaction_data)
        return result16.StopTransaction(
            id_tag_info=types16.IdTagInfo(status=ACCEPTED) if kwargs.get("id_tag") else None
        )


class Station201(Station, ChargePoint201):
    protocol = OCPP201
    _datatypes: Any = types201

    @on("BootNotification")
    async def on_boot_notification(self, **kwargs: Any) -> Any:
        await db(chargers.charger_seen)(ocpp_id=self.id)
        return self._call_result.BootNotification(
            current_time=now_iso(), interval=HEARTBEAT_SECONDS, status=ACCEPTED
        )

    @after("BootNotification")
    def after_boot_notification(self, **kwargs: Any) -> None:
        self.booted.set()

    @on("Heartbeat")
    async def on_heartbeat(self, **kwargs: Any) -> Any:
        await db(chargers.charger_seen)(ocpp_id=self.id)
        return self._call_result.Heartbeat(current_time=now_iso())

    @on("StatusNotification")
    async def on_status_notification(self, connector_status: str, **kwargs: Any) -> Any:
        mapped = STATUS_2X.get(connector_status)
        if mapped is None:
            await db(chargers.charger_seen)(ocpp_id=self.id)
        else:
            await db(chargers.charger_status_set)(ocpp_id=self.id, status=mapped)
        return self._call_result.StatusNotification()

    @on("MeterValues")
    async def on_meter_values(self, meter_value: list[dict[str, Any]], **kwargs: Any) -> Any:
        await self._meter(meter_value)
        return self._call_result.MeterValues()

    @on("TransactionEvent")
    async def on_transaction_event(
        self,
        event_type: str,
        meter_value: list[dict[str, Any]] | None = None,
        id_token: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        if event_type == "Started":
            await db(chargers.charger_status_set)(ocpp_id=self.id, status=ChargerStatus.OCCUPIED)
        await self._meter(meter_value)
        info = self._datatypes.IdTokenInfoType(status=ACCEPTED) if id_token else None
        return self._call_result.TransactionEvent(id_token_info=info)


class Station21(Station201):
    """2.1 speaks 2.0.1's messages for all the hub uses, plus real V2X set-points."""

    protocol = OCPP21
    _call = call21
    _call_result = result21
    _ocpp_version = "2.1"
    _datatypes = types21


STATIONS: dict[str, Callable[..., Station]] = {
    OCPP21: Station21,
    OCPP201: Station201,
    OCPP16: Station16,
}
