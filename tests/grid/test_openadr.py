"""The hub as an OpenADR 3 VEN against a real VTN on loopback.

Neither the ``openadr3`` package nor any package in the locks ships a VTN server, and
``openadr3`` does not bundle the OpenADR 3 OpenAPI document, so the counterparty here is a
small threaded HTTP server serving the endpoints the client calls: ``GET /auth/server``, the
OAuth client-credentials token endpoint it names, ``GET /programs`` and ``GET /events``
(paged with ``skip``/``limit``, filtered by ``programID``). Each program and event it serves
is first validated against the library's wire-format models (``openadr3.entities.raw``,
which mirror the OpenADR 3 JSON objects field by field); it is *not* validated against the
OpenAPI document itself, which nothing installed here carries. The client under test is the
real ``openadr3`` client over real HTTP, with nothing of the protocol mocked.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openadr3.entities.raw import RawEvent, RawProgram

from energy.dispatch import check_plan, parse_plan, parse_scenario
from energy.grid.openadr import capacity_event_outcome, vtn_poll
from energy.models import CapacityEvent, DispatchRun, RunStatus, Site, VtnConnection
from energy.problem import build_hub_scenario
from tests.energy.conftest import make_hub

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
CLIENT_ID = "ven-wisselspoor"
SECRET = "s3cret-of-the-ven"
TOKEN = "vtn-issued-token"
PROGRAM = {
    "id": "prog-congestion",
    "createdDateTime": "2026-01-01T00:00:00Z",
    "modificationDateTime": "2026-01-01T00:00:00Z",
    "objectType": "PROGRAM",
    "programName": "capacity-wisselspoor",
    "payloadDescriptors": [
        {
            "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
            "payloadType": "IMPORT_CAPACITY_LIMIT",
            "units": "KW",
        }
    ],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def capacity_event(
    event_id: str,
    start: datetime,
    values_kw: list[float],
    *,
    kind: str = "IMPORT_CAPACITY_LIMIT",
    modified: str = "2026-01-02T10:00:00Z",
    units: str = "KW",
    duration: str = "PT15M",
) -> dict[str, Any]:
    """An OpenADR 3 event: one interval period on the event, inherited by each 15-minute
    interval (OpenADR 3 interval-period inheritance)."""
    return {
        "id": event_id,
        "createdDateTime": "2026-01-02T10:00:00Z",
        "modificationDateTime": modified,
        "objectType": "EVENT",
        "programID": PROGRAM["id"],
        "eventName": f"congestion {event_id}",
        "priority": 0,
        "payloadDescriptors": [
            {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": kind, "units": units}
        ],
        "intervalPeriod": {"start": iso(start), "duration": duration},
        "intervals": [
            {"id": i, "payloads": [{"type": kind, "values": [v]}]} for i, v in enumerate(values_kw)
        ],
    }


@dataclass
class Vtn:
    base_url: str
    events: list[dict[str, Any]] = field(default_factory=list)
    mode: str = "ok"  # "ok", "error", "garbage", "not-events"
    filters: bool = True  # honours ?programID=
    paths: list[str] = field(default_factory=list)


def _handler(vtn: Vtn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _problem(self, status: int, title: str) -> None:
            # OpenADR 3's error object (RFC 7807 problem)
            self._send(status, {"type": "about:blank", "title": title, "status": status})

        def do_POST(self) -> None:
            vtn.paths.append(f"POST {self.path}")
            length = int(self.headers.get("Content-Length", 0))
            form = parse_qs(self.rfile.read(length).decode())
            if urlsplit(self.path).path != "/auth/token":
                return self._problem(404, "Not Found")
            given = (form.get("client_id", [""])[0], form.get("client_secret", [""])[0])
            if form.get("grant_type") != ["client_credentials"] or given != (CLIENT_ID, SECRET):
                return self._send(401, {"error": "invalid_client"})
            self._send(200, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600})

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            vtn.paths.append(f"GET {url.path}")
            if url.path == "/auth/server":
                return self._send(200, {"tokenURL": f"{vtn.base_url}/auth/token"})
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._problem(403, "Forbidden")
            if vtn.mode == "error":
                return self._problem(500, "Internal Server Error")
            if vtn.mode == "garbage":
                return self._send(200, b"<html>maintenance</html>", "text/html")
            if url.path == "/programs":
                RawProgram.model_validate(PROGRAM)
                return self._send(200, [PROGRAM])
            if url.path == "/events":
                if vtn.mode == "not-events":
                    return self._send(200, [{"objectType": "EVENT", "eventName": "no program"}])
                wanted = query.get("programID") if vtn.filters else None
                events = [e for e in vtn.events if not wanted or e["programID"] in wanted]
                skip = int(query.get("skip", ["0"])[0])
                limit = int(query.get("limit", ["50"])[0])
                page = events[skip : skip + limit]
                for event in page:
                    RawEvent.model_validate(event)  # the wire shape OpenADR 3 defines
                return self._send(200, page)
            self._problem(404, "Not Found")

    return Handler


@pytest.fixture
def vtn() -> Iterator[Vtn]:
    port = free_port()
    state = Vtn(base_url=f"http://127.0.0.1:{port}")
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hub():
    return make_hub(slug="oadr")


@pytest.fixture
def connection(hub, vtn, monkeypatch) -> VtnConnection:
    monkeypatch.setenv("TEST_VTN_SECRET", SECRET)
    return VtnConnection.objects.create(
        hub=hub,
        base_url=vtn.base_url,
        ven_name="wisselspoor-hub",
        client_id=CLIENT_ID,
        client_secret_env="TEST_VTN_SECRET",
        program_name="capacity-wisselspoor",
    )


@pytest.fixture
def replans(monkeypatch) -> list[dict[str, Any]]:
    queued: list[dict[str, Any]] = []
    monkeypatch.setattr("energy.grid.openadr.replan_request", lambda **kw: queued.append(kw))
    return queued


def next_slot() -> datetime:
    now = timezone.now()
    return now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0) + timedelta(
        minutes=15
    )


def site_limits(hub, start: datetime, slots: int = 16) -> dict[str, Any]:
    built = build_hub_scenario(hub=hub, start=start, slots=slots, now=timezone.now())
    parse_scenario(built.document)  # a band the spec accepts (never empty)
    return built.document["site"]


def test_a_capacity_event_becomes_a_per_slot_limit_and_queues_a_replan(
    connection, vtn, replans, hub
):
    start = next_slot()
    vtn.events = [
        capacity_event("ev-1", start + timedelta(minutes=30), [7.5, 7.5, 7.5, 7.5]),
        # overlapping a stricter one, and one above the site's own 60 kW
        capacity_event("ev-2", start + timedelta(minutes=45), [5.0, 80.0]),
        capacity_event(
            "ev-3", start + timedelta(hours=2), [4000], kind="EXPORT_CAPACITY_LIMIT", units="W"
        ),
    ]
    outcome = vtn_poll(connection_id=connection.pk)
    assert outcome.ok and outcome.changed
    assert replans == [{"hub_id": hub.pk, "reason": "openadr capacity event"}]
    # the library's OAuth flow and reads, against the VTN
    assert vtn.paths[:4] == ["GET /auth/server", "POST /auth/token", "GET /programs", "GET /events"]

    site = site_limits(hub, start)
    assert site["grid_import_limit_kw"][:7] == [60.0, 60.0, 7.5, 5.0, 7.5, 7.5, 60.0]
    assert site["grid_export_limit_kw"][8] == 4.0  # 4000 W
    assert site["grid_export_limit_kw"][7] == site["grid_export_limit_kw"][9] == 60.0
    assert CapacityEvent.objects.filter(status="active").count() == 3
    connection.refresh_from_db()
    assert connection.last_ok_at is not None
    assert connection.last_message.startswith("3 event(s), 3 capacity limit(s): changed")


def test_polling_the_same_events_again_changes_nothing(connection, vtn, replans, hub):
    start = next_slot()
    vtn.events = [capacity_event("ev-1", start, [10.0, 10.0])]
    assert vtn_poll(connection_id=connection.pk).changed
    again = vtn_poll(connection_id=connection.pk)
    assert again.ok and not again.changed
    assert len(replans) == 1
    assert CapacityEvent.objects.count() == 1


def test_a_modified_event_replaces_the_old_version(connection, vtn, replans, hub):
    start = next_slot()
    vtn.events = [capacity_event("ev-1", start, [10.0, 10.0])]
    vtn_poll(connection_id=connection.pk)
    vtn.events = [capacity_event("ev-1", start, [3.0], modified="2026-01-02T11:00:00Z")]
    assert vtn_poll(connection_id=connection.pk).changed
    assert len(replans) == 2
    old, new = CapacityEvent.objects.order_by("pk")
    assert (old.status, new.status) == ("superseded", "active")
    assert site_limits(hub, start)["grid_import_limit_kw"][:3] == [3.0, 60.0, 60.0]


def test_a_withdrawn_or_expired_event_stops_limiting(connection, vtn, replans, hub):
    start = next_slot()
    vtn.events = [
        capacity_event("ev-gone", start, [10.0]),
        capacity_event("ev-past", start - timedelta(hours=3), [1.0, 1.0]),
    ]
    vtn_poll(connection_id=connection.pk)
    assert CapacityEvent.objects.get(event_id="ev-past").status == "expired"
    assert site_limits(hub, start)["grid_import_limit_kw"][0] == 10.0

    vtn.events = [capacity_event("ev-past", start - timedelta(hours=3), [1.0, 1.0])]
    assert vtn_poll(connection_id=connection.pk).changed  # OpenADR 3 cancels by deleting
    assert CapacityEvent.objects.get(event_id="ev-gone").status == "cancelled"
    assert site_limits(hub, start)["grid_import_limit_kw"] == 60.0  # the site's own, again


def test_only_the_configured_programs_events_count_and_credentials_are_required(
    connection, vtn, replans, hub
):
    start = next_slot()
    other = capacity_event("ev-other", start, [1.0]) | {"programID": "prog-other"}
    vtn.events = [capacity_event("ev-1", start, [10.0]), other]
    vtn.filters = False  # a VTN that lists every program's events
    vtn_poll(connection_id=connection.pk)
    assert list(CapacityEvent.objects.values_list("event_id", flat=True)) == ["ev-1"]
    assert site_limits(hub, start)["grid_import_limit_kw"][0] == 10.0

    bare = VtnConnection(hub=make_hub(slug="bare"), base_url=vtn.base_url, ven_name="x",
                         client_id=CLIENT_ID)  # fmt: skip
    with pytest.raises(ValidationError, match="bearer token's variable"):
        bare.full_clean()
    bare.client_secret_env = "TEST_VTN_SECRET"
    bare.full_clean()


def test_a_fixed_bearer_token_from_the_environment_needs_no_token_endpoint(
    connection, vtn, replans, monkeypatch
):
    monkeypatch.setenv("TEST_VTN_TOKEN", TOKEN)
    VtnConnection.objects.filter(pk=connection.pk).update(
        client_id="", client_secret_env="", bearer_token_env="TEST_VTN_TOKEN"
    )
    vtn.events = [capacity_event("ev-1", next_slot(), [10.0])]
    assert vtn_poll(connection_id=connection.pk).changed
    assert vtn.paths == ["GET /programs", "GET /events"]


def test_an_open_ended_limit_holds_in_every_slot_from_its_start(connection, vtn, replans, hub):
    """OpenADR 3's P9999Y ("until further notice"), which the library cannot add to a date."""
    start = next_slot()
    vtn.events = [capacity_event("ev-open", start + timedelta(hours=1), [9.0], duration="P9999Y")]
    assert vtn_poll(connection_id=connection.pk).changed
    limits = site_limits(hub, start, slots=96)["grid_import_limit_kw"]
    assert limits[:4] == [60.0] * 4 and limits[4:] == [9.0] * 92
    assert CapacityEvent.objects.get().raw["intervalPeriod"]["duration"] == "P9999Y"  # as sent


@pytest.mark.parametrize(
    "mode, said",
    [
        ("down", "VTN unreachable or refusing"),
        ("error", "VTN unreachable or refusing"),
        ("garbage", "not an OpenADR 3 answer"),
        ("not-events", "not an OpenADR 3 answer"),
        ("wrong-secret", "VTN unreachable or refusing"),
        ("no-secret", "TEST_VTN_SECRET is not set"),
    ],
)
def test_a_vtn_down_or_talking_nonsense_is_a_warning_and_changes_nothing(
    connection, vtn, replans, hub, caplog, monkeypatch, mode, said
):
    start = next_slot()
    vtn.events = [capacity_event("ev-1", start, [10.0])]
    vtn_poll(connection_id=connection.pk)
    vtn.events = []  # were the answer read, this would withdraw ev-1
    if mode == "down":
        VtnConnection.objects.filter(pk=connection.pk).update(
            base_url=f"http://127.0.0.1:{free_port()}"
        )
    elif mode == "wrong-secret":
        monkeypatch.setenv("TEST_VTN_SECRET", "guessed")
    elif mode == "no-secret":
        monkeypatch.delenv("TEST_VTN_SECRET")
    else:
        vtn.mode = mode
    with caplog.at_level(logging.WARNING, logger="energy.grid.openadr"):
        outcome = vtn_poll(connection_id=connection.pk)
    assert not outcome.ok and not outcome.changed
    assert said in outcome.message
    assert any(r.levelno == logging.WARNING and said in r.getMessage() for r in caplog.records)
    assert len(replans) == 1  # only the first, good poll
    assert CapacityEvent.objects.get().status == "active"
    assert site_limits(hub, start)["grid_import_limit_kw"][0] == 10.0
    connection.refresh_from_db()
    assert said in connection.last_message


def test_the_poll_command_polls_each_connection(connection, vtn, replans):
    vtn.events = [capacity_event("ev-1", next_slot(), [10.0])]
    out = []

    class Out:
        def write(self, text: str) -> None:
            out.append(text)

        def flush(self) -> None:
            pass

    call_command("poll_openadr", stdout=Out())
    assert "oadr: ok: 1 event(s), 1 capacity limit(s): changed" in "".join(out)
    assert CapacityEvent.objects.count() == 1


def test_a_limit_below_the_homes_own_draw_is_a_band_the_plan_cannot_keep_and_admins_hear(
    vtn, monkeypatch, settings, django_capture_on_commit_callbacks, admin_client
):
    """No car at the hub to feed the homes, and the VTN caps import below what the homes draw
    at night: the re-plan the poll queues is still switched in, its run names the slots,
    admins get a mail, and the event's admin page says the band was not kept."""
    settings.ADMINS = [("Fleet", "fleet@example.org")]
    monkeypatch.setenv("TEST_VTN_SECRET", SECRET)
    hub = make_hub(slug="homes", cars=0)
    connection = VtnConnection.objects.create(
        hub=hub,
        base_url=vtn.base_url,
        ven_name="homes-hub",
        client_id=CLIENT_ID,
        client_secret_env="TEST_VTN_SECRET",
    )
    night = datetime(2026, 6, 10, 1, 0, tzinfo=AMS)
    vtn.events = [capacity_event("ev-tight", night + timedelta(minutes=30), [0.5, 0.5])]
    with time_machine.travel(night, tick=False), django_capture_on_commit_callbacks(execute=True):
        # the real re-plan request: on commit, the plan_hub task (eager here) plans the hub
        assert vtn_poll(connection_id=connection.pk).changed
    run = DispatchRun.objects.get(hub=hub)
    assert run.trigger.startswith("openadr capacity event")
    base = run.scenario["site"]["base_load_kw"]
    assert run.scenario["site"]["grid_import_limit_kw"][2:4] == [0.5, 0.5]
    assert min(base[2:4]) > 0.5  # the homes alone draw more
    assert run.status == RunStatus.SUCCEEDED and run.is_current
    assert run.error.startswith("grid band cannot be kept in 2 slot(s): 10 Jun 01:30, 10 Jun 01:45")
    assert any("Grid band cannot be kept" in m.subject for m in mail.outbox)

    event = CapacityEvent.objects.get()
    outcome = capacity_event_outcome(event)
    assert outcome.run == run and outcome.kept is False
    assert outcome.note == "not kept in 10 Jun 01:30, 10 Jun 01:45"
    page = admin_client.get(reverse("admin:energy_capacityevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert "not kept in 10 Jun 01:30, 10 Jun 01:45" in page.content.decode()
    listing = admin_client.get(reverse("admin:energy_vtnconnection_changelist"))
    assert "homes-hub" in listing.content.decode()
    assert Site.objects.get(hub=hub).grid_import_limit_kw == Decimal("60")  # the site unchanged


def test_a_limit_the_fleet_can_keep_is_kept_by_the_next_plan(
    vtn, monkeypatch, django_capture_on_commit_callbacks
):
    """Three cars at the hub, the VTN caps import at 1 kW for an hour at night: the re-plan
    the poll queues is valid (the independent check), its net import stays under the cap
    there, and the event's outcome says the band was kept."""
    monkeypatch.setenv("TEST_VTN_SECRET", SECRET)
    hub = make_hub(slug="kept")
    connection = VtnConnection.objects.create(
        hub=hub, base_url=vtn.base_url, ven_name="kept-hub", client_id=CLIENT_ID,
        client_secret_env="TEST_VTN_SECRET",
    )  # fmt: skip
    night = datetime(2026, 6, 10, 1, 0, tzinfo=AMS)
    vtn.events = [capacity_event("ev-cap", night + timedelta(minutes=30), [1.0] * 4)]
    with time_machine.travel(night, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert vtn_poll(connection_id=connection.pk).changed
    run = DispatchRun.objects.get(hub=hub)
    assert run.status == RunStatus.SUCCEEDED and run.error == ""
    scenario = parse_scenario(run.scenario)
    plan = parse_plan(run.plan, scenario)
    assert check_plan(scenario, plan).valid
    site = run.scenario["site"]
    assert min(site["base_load_kw"][2:6]) > 1.0  # the cars feed the homes to keep it
    for t in range(2, 6):
        fleet = sum(plan.power_kw[v.id][t] for v in scenario.vehicles)
        assert site["base_load_kw"][t] - site["pv_kw"][t] + fleet <= 1.0 + 1e-6
    assert capacity_event_outcome(CapacityEvent.objects.get()).kept is True
