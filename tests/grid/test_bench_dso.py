"""The benchmark's DSO answers each D-Prognosis like a real one (a signed D-PrognosisResponse:
Accepted, or Rejected with the reason), and the hub records the answer."""

from __future__ import annotations

import queue
import time
from typing import Any

import pytest
from shapeshifter_uftp import DPrognosis, DPrognosisISP
from xsdata.models.datatype import XmlDate, XmlDuration

from bench.uftp.dso import (
    AGR_DOMAIN,
    DSO_DOMAIN,
    PrognosisAnswer,
    dso_service,
    prognosis_fault,
)
from energy.grid.keys import identity, keypair_generate
from energy.grid.models import DPrognosis as PrognosisRecord
from energy.grid.models import GridOperator, PrognosisStatus
from energy.grid.uftp import PATH, HubAgrService, prognoses_send
from tests.grid.conftest import free_port
from tests.grid.helpers import planned_tomorrow


def prognosis(day: str, isps: int, revision: int = 1) -> DPrognosis:
    return DPrognosis(
        message_id="5c1b6ef4-4b3e-4c40-9a1f-3b0f3a1f0c01",
        isp_duration=XmlDuration("PT15M"),
        time_zone="Europe/Amsterdam",
        period=XmlDate.from_string(day),
        congestion_point="ean.871687120000000001",
        revision=revision,
        isps=[DPrognosisISP(power=1000, start=i, duration=1) for i in range(1, isps + 1)],
    )


@pytest.mark.parametrize(
    ("day", "isps", "revision", "last", "fault"),
    [
        ("2026-03-10", 96, 1, None, None),
        ("2026-03-29", 92, 2, 1, None),  # the spring clock change: 92 ISPs
        ("2026-10-25", 100, 1, None, None),  # the autumn one: 100
        ("2026-03-10", 95, 1, None, "Invalid ISPs: 95 given, the day has 96"),
        ("2026-03-29", 96, 1, None, "Invalid ISPs: 96 given, the day has 92"),
        ("2026-03-10", 96, 3, 3, "Revision 3 is not above 3"),
    ],
)
def test_the_dso_rejects_what_a_real_one_would(day, isps, revision, last, fault):
    assert prognosis_fault(prognosis(day, isps, revision), last) == fault


def _next(inbox: queue.Queue[Any], kind: type) -> Any:
    while True:
        _, message = inbox.get(timeout=30)
        if isinstance(message, kind):
            return message


@pytest.mark.django_db(transaction=True)
def test_the_bench_dso_answers_and_the_hub_records_accepted(monkeypatch):
    agr_private, _ = keypair_generate()
    monkeypatch.setenv("UFTP_SIGNING_KEY", agr_private)
    monkeypatch.setenv("UFTP_SENDER_DOMAIN", AGR_DOMAIN)
    dso_private, dso_public = keypair_generate()
    dso_port, agr_port = free_port(), free_port()
    operator = GridOperator.objects.create(
        name="Bench DSO",
        participant_domain=DSO_DOMAIN,
        endpoint_url=f"http://127.0.0.1:{dso_port}{PATH}",
        public_key=dso_public,
        min_prognosis_interval_seconds=0,
    )
    hub = planned_tomorrow(operator)
    me = identity()
    inbox: queue.Queue[Any] = queue.Queue()
    dso = dso_service(
        inbox, private_key=dso_private, agr_public=me.public_key, port=dso_port, agr_port=agr_port
    )
    with dso, HubAgrService(identity=me, host="127.0.0.1", port=agr_port):
        sent, _ = prognoses_send(hub_id=hub.pk)
        assert sent >= 1
        answer = _next(inbox, PrognosisAnswer)
        assert answer.accepted and answer.delivered and answer.reason is None
        record = PrognosisRecord.objects.get(message_id=answer.prognosis.message_id)
        deadline = time.monotonic() + 30
        while record.status != PrognosisStatus.ACCEPTED and time.monotonic() < deadline:
            time.sleep(0.1)
            record.refresh_from_db()
    assert record.status == PrognosisStatus.ACCEPTED
