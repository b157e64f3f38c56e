"""The hub as an OpenADR 3 VEN: poll the grid operator's VTN for capacity-limit events.

The client is the ``openadr3`` package (python-oa3); ElaadNL's ``openadr3-client`` needs
Python 3.12. Each poll reads the VTN's programs and events (``GET /programs``, ``GET /events``,
paged with ``skip``/``limit``), authenticating with OAuth client credentials (the token URL
found at ``GET /auth/server``) or with a fixed bearer token, and keeps the events' capacity
limits (``IMPORT_CAPACITY_LIMIT``, ``EXPORT_CAPACITY_LIMIT``) as ``CapacityEvent`` rows. The
scenario builder reads the active ones through ``energy.grid.selectors.grid_bands``.

A poll is all or nothing: a VTN that is down, refuses us or answers something that is not a
list of OpenADR 3 events changes nothing (one warning in the log, the message on the
connection), so a bad answer can never lift a limit. An event the VTN no longer lists is
withdrawn (OpenADR 3 cancels by deleting it) and stops limiting.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pydantic
from django.db import transaction
from django.utils import timezone
from openadr3 import Event, Program, coerce, create_ven_client, fetch_token

from energy.grid.models import (
    CapacityEvent,
    CapacityEventStatus,
    CapacityPayload,
    VtnConnection,
)
from energy.services.replan import replan_request

logger = logging.getLogger(__name__)

PAGE = 50
MAX_PAGES = 40
UNIT_TO_KW = {"KW": 1.0, "W": 0.001, "MW": 1000.0}
CAPACITY_TYPES = {c.value for c in CapacityPayload}


class VtnError(Exception):
    """The VTN could not be read, or its answer is not what OpenADR 3 says it must be."""


@dataclass(frozen=True)
class EventDraft:
    event_id: str
    modification: str
    program_id: str
    program_name: str
    event_name: str
    payload_type: str
    intervals: list[dict[str, Any]]
    raw: dict[str, Any]


@dataclass(frozen=True)
class PollOutcome:
    ok: bool
    changed: bool
    message: str


# --- Reading the VTN ---------------------------------------------------------------------


def _token(connection: VtnConnection) -> str:
    if connection.bearer_token_env:
        token = os.environ.get(connection.bearer_token_env, "")
        if not token:
            raise VtnError(f"{connection.bearer_token_env} is not set")
        return token
    if connection.client_id and connection.client_secret_env:
        secret = os.environ.get(connection.client_secret_env, "")
        if not secret:
            raise VtnError(f"{connection.client_secret_env} is not set")
        return fetch_token(connection.base_url, connection.client_id, secret)
    raise VtnError("no credentials configured (a bearer token or client id and secret)")


# OpenADR 3 writes an open-ended duration as P9999Y, which no calendar can add to a start
# (the library's interval periods would overflow): it is read as this long instead, far
# beyond any plan's horizon. The event is kept as sent.
OPEN_ENDED = "P9999Y"
OPEN_ENDED_AS = "P400D"


def _bounded(item: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``item`` with each open-ended interval period (its own and its intervals')
    read as ``OPEN_ENDED_AS``."""

    def period_of(holder: Any) -> Any:
        if not isinstance(holder, dict):
            return holder
        period = holder.get("intervalPeriod")
        if isinstance(period, dict) and str(period.get("duration", "")).upper() == OPEN_ENDED:
            return {**holder, "intervalPeriod": {**period, "duration": OPEN_ENDED_AS}}
        return holder

    out = period_of(item)
    if isinstance(out.get("intervals"), list):
        out = {**out, "intervals": [period_of(i) for i in out["intervals"]]}
    return out


def _listed(response: httpx.Response) -> list[tuple[Any, dict[str, Any]]]:
    """The entities of a list answer, coerced by the library, each with its dict as sent."""
    response.raise_for_status()
    items = response.json()
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise VtnError("not an OpenADR 3 answer: not a list of objects")
    return [(coerce(_bounded(item)), item) for item in items]


def vtn_read(
    connection: VtnConnection,
) -> tuple[list[tuple[Event, dict[str, Any]]], dict[str, str]]:
    """The events the VTN lists for us (of the configured program, if one is), each with its
    JSON as sent, and the names of its programs by id. Raises ``VtnError`` for anything but a
    good answer, including more events than ``MAX_PAGES`` pages (a list cut short would
    withdraw the events not read)."""
    try:
        token = _token(connection)
        with create_ven_client(connection.base_url, token) as client:
            programs: dict[str, str] = {}
            for program, _raw in _listed(client.get_programs()):
                if not isinstance(program, Program):
                    raise VtnError("not an OpenADR 3 answer: /programs listed a non-program")
                programs[program.id or ""] = program.program_name
            params: dict[str, Any] = {}
            if connection.program_name:
                ids = [i for i, name in programs.items() if name == connection.program_name]
                if not ids:
                    raise VtnError(f"the VTN has no program {connection.program_name!r}")
                params["programID"] = ids[0]
            events: list[tuple[Any, dict[str, Any]]] = []
            for page in range(MAX_PAGES):
                batch = _listed(client.get_events(skip=page * PAGE, limit=PAGE, **params))
                events += batch
                if len(batch) < PAGE:
                    break
            else:
                raise VtnError(f"more than {MAX_PAGES * PAGE} events listed; none kept")
    except VtnError:
        raise
    except httpx.HTTPError as exc:
        raise VtnError(f"VTN unreachable or refusing: {exc}") from exc
    except (ValueError, KeyError, TypeError, AttributeError, pydantic.ValidationError) as exc:
        # json errors are ValueErrors; an entity without its required fields is a KeyError or
        # a ValidationError; a list of something else a TypeError or AttributeError
        raise VtnError(f"not an OpenADR 3 answer: {type(exc).__name__}: {exc}"[:300]) from exc
    if not all(isinstance(e, Event) for e, _raw in events):
        raise VtnError("not an OpenADR 3 answer: /events listed objects that are not events")
    if "programID" in params:  # a VTN that ignores the filter lists other programs too
        events = [(e, raw) for e, raw in events if e.program_id == params["programID"]]
    return events, programs


def _units(event: Event) -> dict[str, float]:
    factors: dict[str, float] = {}
    for d in event.payload_descriptors or []:
        if d.payload_type in CAPACITY_TYPES:
            unit = (d.units or "KW").upper()
            if unit not in UNIT_TO_KW:
                raise VtnError(f"event {event.id}: {d.payload_type} in unknown units {unit!r}")
            factors[d.payload_type] = UNIT_TO_KW[unit]
    return factors


def _utc(value: Any) -> datetime:
    return datetime.fromtimestamp(value.timestamp(), tz=timezone.get_fixed_timezone(0))


def event_drafts(event: Event, raw: dict[str, Any], programs: dict[str, str]) -> list[EventDraft]:
    """The capacity limits of one event (``raw``: as sent), one draft per payload type; none
    for other events."""
    if not event.id:
        raise VtnError("an event without an id")
    modification = raw.get("modificationDateTime") or (
        "sha256:" + hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()[:32]
    )
    units = _units(event)
    per_type: dict[str, list[dict[str, Any]]] = {}
    for interval in event.resolved_intervals():
        wanted = [p for p in interval.payloads if p.type in CAPACITY_TYPES]
        if not wanted:
            continue
        period = interval.interval_period
        if period is None or period.period is None:
            raise VtnError(f"event {event.id}: interval {interval.id} has no start or duration")
        start, end = (_utc(x) for x in period.period)
        for payload in wanted:
            if not payload.values:
                raise VtnError(f"event {event.id}: {payload.type} without a value")
            try:
                value = float(payload.values[0]) * units.get(payload.type, 1.0)
            except (TypeError, ValueError):
                raise VtnError(f"event {event.id}: {payload.type} is not a number") from None
            per_type.setdefault(payload.type, []).append(
                {"start": start.isoformat(), "end": end.isoformat(), "value_kw": round(value, 3)}
            )
    return [
        EventDraft(
            event_id=event.id,
            modification=str(modification)[:80],
            program_id=event.program_id,
            program_name=programs.get(event.program_id, ""),
            event_name=event.event_name or "",
            payload_type=kind,
            intervals=intervals,
            raw=raw,
        )
        for kind, intervals in per_type.items()
    ]


# --- Keeping what it said ----------------------------------------------------------------


def capacity_events_apply(
    *,
    connection: VtnConnection,
    drafts: list[EventDraft],
    listed_ids: set[str],
    now: datetime | None = None,
) -> bool:
    """Keep the VTN's current events: a version seen before changes nothing, a new version
    supersedes the old one, an event no longer listed is withdrawn. True when what limits the
    hub changed; then a re-plan is queued (on commit)."""
    now = now or timezone.now()
    changed = False
    with transaction.atomic():
        VtnConnection.objects.select_for_update().filter(pk=connection.pk).first()
        current: list[int] = []
        for d in drafts:
            starts = [datetime.fromisoformat(i["start"]) for i in d.intervals]
            ends = [datetime.fromisoformat(i["end"]) for i in d.intervals]
            over = max(ends) <= now
            row, created = CapacityEvent.objects.get_or_create(
                connection=connection,
                event_id=d.event_id,
                modification=d.modification,
                payload_type=d.payload_type,
                defaults={
                    "program_id": d.program_id,
                    "program_name": d.program_name,
                    "event_name": d.event_name[:200],
                    "intervals": d.intervals,
                    "starts_at": min(starts),
                    "ends_at": max(ends),
                    "status": CapacityEventStatus.EXPIRED if over else CapacityEventStatus.ACTIVE,
                    "received_at": now,
                    "raw": d.raw,
                },
            )
            current.append(row.pk)
            if created:
                changed |= not over
            elif row.status in (CapacityEventStatus.CANCELLED, CapacityEventStatus.SUPERSEDED):
                # listed again (a VTN that was briefly wrong, or a version put back)
                row.status = CapacityEventStatus.EXPIRED if over else CapacityEventStatus.ACTIVE
                row.save(update_fields=["status"])
                changed |= not over
        mine = CapacityEvent.objects.filter(
            connection=connection, status=CapacityEventStatus.ACTIVE
        )
        # Older versions of listed events, and a capacity payload a new version dropped:
        changed |= bool(
            mine.filter(event_id__in=listed_ids)
            .exclude(pk__in=current)
            .update(status=CapacityEventStatus.SUPERSEDED)
        )
        changed |= bool(
            mine.exclude(event_id__in=listed_ids).update(status=CapacityEventStatus.CANCELLED)
        )
        # Over: no slot of a plan from now on is limited by it, so no re-plan is needed.
        mine.filter(ends_at__lte=now).update(status=CapacityEventStatus.EXPIRED)
        if changed:
            replan_request(hub_id=connection.hub_id, reason="openadr capacity event")
    return changed


def vtn_poll(*, connection_id: int, now: datetime | None = None) -> PollOutcome:
    """Poll one VTN connection; never raises for what the VTN does (it is logged instead)."""
    connection = VtnConnection.objects.get(pk=connection_id)
    now = now or timezone.now()
    try:
        events, programs = vtn_read(connection)
        drafts = [d for e, raw in events for d in event_drafts(e, raw, programs)]
    except VtnError as exc:
        message = str(exc)[:200]
        logger.warning("OpenADR poll of hub %s at %s: %s", connection.hub_id, connection.base_url,
                       message)  # fmt: skip
        VtnConnection.objects.filter(pk=connection.pk).update(
            last_poll_at=now, last_message=message
        )
        return PollOutcome(ok=False, changed=False, message=message)
    listed = {e.id for e, _raw in events if e.id}
    changed = capacity_events_apply(
        connection=connection, drafts=drafts, listed_ids=listed, now=now
    )
    message = f"{len(events)} event(s), {len(drafts)} capacity limit(s)"
    message += ": changed, re-plan queued" if changed else ": unchanged"
    VtnConnection.objects.filter(pk=connection.pk).update(
        last_poll_at=now, last_ok_at=now, last_message=message[:200]
    )
    return PollOutcome(ok=True, changed=changed, message=message)


def vtn_poll_all(*, now: datetime | None = None) -> list[PollOutcome]:
    ids = VtnConnection.objects.filter(active=True).values_list("pk", flat=True)
    return [vtn_poll(connection_id=pk, now=now) for pk in ids]


# --- What the plan did about it (the admin reads this) -----------------------------------


@dataclass(frozen=True)
class EventOutcome:
    run: Any  # the DispatchRun that followed the event, or None
    kept: bool | None  # None: no plan since, or the run does not say
    note: str


def capacity_event_outcome(event: CapacityEvent) -> EventOutcome:
    """The first plan made after the event was received, and whether it keeps the event's
    band: a plan that cannot keep the band names the unkept slots in its error (local time,
    as ``energy.services.planning`` writes them)."""
    from energy.models import DispatchRun, RunStatus

    hub = event.connection.hub
    run = (
        DispatchRun.objects.filter(
            hub=hub, created_at__gte=event.received_at, status=RunStatus.SUCCEEDED
        )
        .order_by("created_at")
        .first()
    )
    if run is None:
        return EventOutcome(None, None, "no plan since the event arrived")
    if not run.error.startswith("grid band cannot be kept"):
        return EventOutcome(run, True, "kept in every slot")
    step = timedelta(minutes=run.slot_minutes)
    labels = []
    for t in range(run.slots):
        start = run.horizon_start + t * step
        for i in event.intervals:
            if datetime.fromisoformat(i["start"]) < start + step and start < datetime.fromisoformat(
                i["end"]
            ):
                labels.append(f"{start.astimezone(hub.tz):%d %b %H:%M}")
                break
    named = [label for label in labels if label in run.error]
    if named:
        return EventOutcome(run, False, "not kept in " + ", ".join(named))
    if " more" in run.error:
        return EventOutcome(run, None, run.error)
    return EventOutcome(run, True, "kept (the run could not keep other slots)")
