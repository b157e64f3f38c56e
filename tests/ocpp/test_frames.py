"""A malformed frame is answered with a CALLERROR, and the charger's connection keeps working."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.headers import build_authorization_basic
from websockets.typing import Subprotocol

from tests.ocpp.conftest import PASSWORD, run

pytestmark = pytest.mark.django_db(transaction=True)

CHARGER = "ocpphub-B00"

# frame, the id the answer carries, the error code for 1.6, the one for 2.0.1 and 2.1
FRAMES = {
    "not-json": ("this is not json", "-1", "FormationViolation", "RpcFrameworkError"),
    "binary": (b'[2,"m-2","Heartbeat",{}]', "-1", "ProtocolError", "RpcFrameworkError"),
    "not-an-array": ('{"2": "Heartbeat"}', "-1", "ProtocolError", "RpcFrameworkError"),
    "unknown-type": ('[7,"m-1","Heartbeat",{}]', "m-1", "ProtocolError", "MessageTypeNotSupported"),
    "too-short": ('[2,"m-5","Heartbeat"]', "m-5", "ProtocolError", "RpcFrameworkError"),
    "action-not-text": ('[2,"m-4",["Heartbeat"],{}]', "m-4", "ProtocolError", "RpcFrameworkError"),
    "nested-too-deep": ("[" * 100_000, "-1", "FormationViolation", "RpcFrameworkError"),
}


@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1", "ocpp2.1"])
@pytest.mark.parametrize("name", list(FRAMES))
def test_a_malformed_frame_gets_a_callerror_and_the_connection_carries_on(
    ocpp_server, ocpp_hub, protocol, name
):
    frame, answer_id, code16, code2x = FRAMES[name]

    async def scenario():
        async with connect(
            ocpp_server.url(CHARGER),
            subprotocols=[Subprotocol(protocol)],
            additional_headers={"Authorization": build_authorization_basic(CHARGER, PASSWORD)},
            open_timeout=5,
        ) as ws:
            await ws.send(frame)  # type: ignore[arg-type]
            answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
            await ws.send('[2,"hb-1","Heartbeat",{}]')
            heartbeat = json.loads(await asyncio.wait_for(ws.recv(), 5))
            return answer, heartbeat

    answer, heartbeat = run(scenario())

    message_type, unique_id, code, description, details = answer
    assert (message_type, unique_id) == (4, answer_id)
    assert code == (code16 if protocol == "ocpp1.6" else code2x)
    assert description and details == {}
    assert heartbeat[:2] == [3, "hb-1"]
    assert heartbeat[2]["currentTime"]
