"""The CALLERROR that answers a malformed OCPP-J frame, so a charger is never met with silence.

The ``ocpp`` library logs a frame it cannot unpack and answers nothing; a charger then waits for
its response timeout, and some frames (nesting too deep, an action that is not a string) even
end the connection. :func:`frame_error` looks at the envelope first and returns the answer; a
well-formed frame (``None``) goes on to the library, which validates the payload itself.

Error codes, per the version's OCPP-J specification (1.6 has a shorter list, with its own
spelling ``FormationViolation``):

=====================================  ====================  ==========================
frame                                  OCPP 1.6              OCPP 2.0.1 / 2.1
=====================================  ====================  ==========================
binary, not an array, no readable id,  ProtocolError         RpcFrameworkError
wrong number of elements, action
that is not a string
not JSON (or nested too deep)          FormationViolation    RpcFrameworkError
unknown message type number            ProtocolError         MessageTypeNotSupported
=====================================  ====================  ==========================

When the message id cannot be read the answer carries ``"-1"``, as OCPP 2.x prescribes. A payload
that breaks the action's schema is the library's to answer (``TypeConstraintViolation`` and co.).
"""

from __future__ import annotations

import json
from typing import Any

from energy.ocpp.profiles import OCPP16

CALL, CALLRESULT, CALLERROR = 2, 3, 4
UNKNOWN_ID = "-1"
MAX_ID_LENGTH = 36

# (1.6 code, 2.x code) per kind of problem
FRAMING = ("ProtocolError", "RpcFrameworkError")
NOT_JSON = ("FormationViolation", "RpcFrameworkError")
MESSAGE_TYPE = ("ProtocolError", "MessageTypeNotSupported")
LENGTHS = {CALL: (4,), CALLRESULT: (3,), CALLERROR: (4, 5)}


def call_error(unique_id: str, code: str, description: str) -> str:
    return json.dumps([CALLERROR, unique_id, code, description, {}], separators=(",", ":"))


def _message_id(frame: list[Any]) -> str | None:
    if len(frame) < 2 or not isinstance(frame[1], str) or not frame[1]:
        return None
    return frame[1] if len(frame[1]) <= MAX_ID_LENGTH else None


def frame_error(raw: str | bytes, *, protocol: str) -> str | None:
    """The CALLERROR (JSON text) answering ``raw``, or ``None`` when its envelope is sound."""
    version = 0 if protocol == OCPP16 else 1

    def error(kind: tuple[str, str], unique_id: str | None, description: str) -> str:
        return call_error(unique_id or UNKNOWN_ID, kind[version], description)

    if isinstance(raw, bytes):
        return error(FRAMING, None, "OCPP-J messages are text frames, not binary ones")
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):
        return error(NOT_JSON, None, "The message is not valid JSON")
    if not isinstance(frame, list) or not frame:
        return error(FRAMING, None, "An OCPP-J message is a JSON array")
    unique_id = _message_id(frame)
    if unique_id is None:
        return error(FRAMING, None, "The message id could not be read")
    message_type = frame[0]
    if type(message_type) is not int or message_type not in LENGTHS:
        return error(MESSAGE_TYPE, unique_id, "Unknown message type number")
    if len(frame) not in LENGTHS[message_type]:
        return error(FRAMING, unique_id, "The message has the wrong number of elements")
    if message_type == CALL and not isinstance(frame[2], str):
        return error(FRAMING, unique_id, "The action is not a string")
    return None
