"""Only a known charger with its own password gets a websocket; everything else gets a 401."""

from __future__ import annotations

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.headers import build_authorization_basic
from websockets.typing import Subprotocol

from energy.models import Charger, ChargerStatus
from tests.ocpp.conftest import PASSWORD, charge_point, run

pytestmark = pytest.mark.django_db(transaction=True)


def _status_of_refused_handshake(server, path: str, headers: dict[str, str]) -> int:
    async def attempt():
        with pytest.raises(InvalidStatus) as refused:
            async with connect(
                f"ws://127.0.0.1:{server.port}{path}",
                subprotocols=[Subprotocol("ocpp1.6")],
                additional_headers=headers,
                open_timeout=5,
            ):
                pass
        return refused.value.response

    response = run(attempt())
    assert b"Traceback" not in response.body
    return response.status_code


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": build_authorization_basic(user, password)}


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/ocpp/ocpphub-B00", _basic("ocpphub-B00", "not-the-password-at-all")),
        ("/ocpp/UNKNOWN-B99", _basic("UNKNOWN-B99", PASSWORD)),
        ("/ocpp/ocpphub-B00", {}),
        ("/ocpp/ocpphub-B00", _basic("ocpphub-B01", PASSWORD)),  # another charger's name
        ("/ocpp/ocpphub-B00", {"Authorization": "Bearer abc"}),
    ],
    ids=["wrong-password", "unknown-id", "no-credentials", "other-user", "not-basic"],
)
def test_refused_with_401(ocpp_server, ocpp_hub, path, headers):
    assert _status_of_refused_handshake(ocpp_server, path, headers) == 401
    assert Charger.objects.get(ocpp_id="ocpphub-B00").status == ChargerStatus.OFFLINE


def test_a_charger_without_a_password_cannot_connect(ocpp_server, ocpp_hub):
    Charger.objects.filter(ocpp_id="ocpphub-B00").update(auth_password_hash="")

    status = _status_of_refused_handshake(
        ocpp_server, "/ocpp/ocpphub-B00", _basic("ocpphub-B00", "")
    )

    assert status == 401


def test_other_paths_are_not_found(ocpp_server, ocpp_hub):
    status = _status_of_refused_handshake(
        ocpp_server, "/somewhere/ocpphub-B00", _basic("ocpphub-B00", PASSWORD)
    )

    assert status == 404


def test_the_right_password_connects_with_the_newest_common_protocol(ocpp_server, ocpp_hub):
    async def scenario():
        async with charge_point(ocpp_server, "ocpphub-B00", "ocpp2.0.1") as cp:
            return cp._connection.subprotocol

    assert run(scenario()) == "ocpp2.0.1"


def test_an_id_with_a_nul_is_refused_with_401_and_one_log_line(ocpp_server, ocpp_hub, caplog):
    caplog.set_level("INFO", logger="energy.ocpp")

    status = _status_of_refused_handshake(
        ocpp_server, "/ocpp/ocpphub-B00%00", _basic("ocpphub-B00\x00", PASSWORD)
    )

    assert status == 401
    refusals = [r for r in caplog.records if r.name == "energy.ocpp"]
    assert len(refusals) == 1
    assert refusals[0].exc_info is None
    assert "\x00" not in refusals[0].getMessage()


def test_a_plain_get_of_healthz_answers_from_the_event_loop(ocpp_server):
    """What the container's health check asks: no charger, no password, no websocket."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{ocpp_server.port}/healthz", timeout=5) as r:
        assert (r.status, r.read()) == (200, b"ok\n")
