"""A real grid operator on loopback: the library's DSO service and DSO->AGR client, and our
AGR service (the one ``run_uftp`` serves), each on a free port, signing with their own keys."""

from __future__ import annotations

import logging
import queue
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from shapeshifter_uftp import ShapeshifterDsoAgrClient, ShapeshifterDsoService

from energy.grid.keys import identity, keypair_generate
from energy.grid.uftp import PATH, HubAgrService
from energy.models import GridOperator

DSO_DOMAIN = "dso.example.nl"
AGR_DOMAIN = "hub.wisselstroom.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingDso(ShapeshifterDsoService):
    """A DSO that keeps every message the aggregator sends it, in arrival order."""

    def __init__(self, inbox: queue.Queue[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inbox = inbox

    def _keep(self, message: Any) -> None:
        self.inbox.put(message)

    process_d_prognosis = _keep
    process_flex_request_response = _keep
    process_flex_offer = _keep
    process_flex_order_response = _keep
    process_flex_offer_revocation = _keep
    process_flex_reservation_update_response = _keep
    process_flex_settlement_response = _keep
    process_dso_portfolio_query_response = _keep
    process_dso_portfolio_update_response = _keep
    process_metering = _keep
    process_test_message_response = _keep


@dataclass
class Grid:
    operator: GridOperator
    inbox: queue.Queue[Any]
    agr_url: str
    dso_private: str
    agr_public: str

    def client(self, *, signing_key: str | None = None, domain: str = DSO_DOMAIN):
        return ShapeshifterDsoAgrClient(
            sender_domain=domain,
            signing_key=signing_key or self.dso_private,
            recipient_domain=AGR_DOMAIN,
            recipient_endpoint=self.agr_url,
            recipient_signing_key=self.agr_public,
        )

    def next(self, kind: type, timeout: float = 30) -> Any:
        """The next message of type ``kind`` the DSO received (others are skipped)."""
        while True:
            message = self.inbox.get(timeout=timeout)
            if isinstance(message, kind):
                return message


@pytest.fixture(autouse=True)
def _quiet_library():
    # The library logs every message in full at INFO and DEBUG.
    logging.getLogger("shapeshifter-uftp").setLevel(logging.WARNING)


@pytest.fixture
def agr_key(monkeypatch) -> str:
    private, _ = keypair_generate()
    monkeypatch.setenv("UFTP_SIGNING_KEY", private)
    monkeypatch.setenv("UFTP_SENDER_DOMAIN", AGR_DOMAIN)
    return private


@pytest.fixture
def grid(transactional_db, agr_key) -> Iterator[Grid]:
    dso_private, dso_public = keypair_generate()
    dso_port, agr_port = free_port(), free_port()
    operator = GridOperator.objects.create(
        name="Stedin test",
        participant_domain=DSO_DOMAIN,
        endpoint_url=f"http://127.0.0.1:{dso_port}{PATH}",
        public_key=dso_public,
        min_prognosis_interval_seconds=0,
    )
    me = identity()
    inbox: queue.Queue[Any] = queue.Queue()
    dso = RecordingDso(
        inbox,
        sender_domain=DSO_DOMAIN,
        signing_key=dso_private,
        key_lookup_function=lambda domain, role: me.public_key if domain == AGR_DOMAIN else None,
        endpoint_lookup_function=lambda domain, role: f"http://127.0.0.1:{agr_port}{PATH}",
        host="127.0.0.1",
        port=dso_port,
    )
    agr = HubAgrService(identity=me, host="127.0.0.1", port=agr_port)
    with dso, agr:
        yield Grid(
            operator, inbox, f"http://127.0.0.1:{agr_port}{PATH}", dso_private, me.public_key
        )
