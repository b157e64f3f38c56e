"""The real ``manage.py run_uftp`` process, talking to the library's DSO over loopback."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from shapeshifter_uftp import (
    AcceptedRejected,
    FlexRequest,
    FlexRequestISP,
    FlexRequestResponse,
    ShapeshifterDsoAgrClient,
    TestMessageResponse,
)
from shapeshifter_uftp.uftp.enums import AvailableRequested
from xsdata.models.datatype import XmlDate, XmlDuration

from energy.grid.keys import identity, keypair_generate
from energy.grid.uftp import PATH
from energy.models import GridOperator
from tests.grid.conftest import AGR_DOMAIN, DSO_DOMAIN, RecordingDso, free_port
from tests.grid.helpers import database_url

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


def _wait_for(port: int, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode() if process.stderr else "exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("run_uftp did not start listening")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the process needs the test database")
def test_run_uftp_serves_signed_messages_from_the_configured_operator():
    agr_private, agr_public = keypair_generate()
    dso_private, dso_public = keypair_generate()
    dso_port, agr_port = free_port(), free_port()
    GridOperator.objects.create(
        name="Stedin",
        participant_domain=DSO_DOMAIN,
        endpoint_url=f"http://127.0.0.1:{dso_port}{PATH}",
        public_key=dso_public,
    )
    inbox: queue.Queue[object] = queue.Queue()
    dso = RecordingDso(
        inbox,
        sender_domain=DSO_DOMAIN,
        signing_key=dso_private,
        key_lookup_function=lambda domain, role: agr_public,
        endpoint_lookup_function=lambda domain, role: f"http://127.0.0.1:{agr_port}{PATH}",
        host="127.0.0.1",
        port=dso_port,
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "UFTP_SIGNING_KEY": agr_private,
        "UFTP_SENDER_DOMAIN": AGR_DOMAIN,
    }
    env.pop("TEST_DATABASE_NAME", None)
    process = subprocess.Popen(
        [sys.executable, MANAGE, "run_uftp", "--port", str(agr_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        with dso:
            _wait_for(agr_port, process)
            client = ShapeshifterDsoAgrClient(
                sender_domain=DSO_DOMAIN,
                signing_key=dso_private,
                recipient_domain=AGR_DOMAIN,
                recipient_endpoint=f"http://127.0.0.1:{agr_port}{PATH}",
                recipient_signing_key=agr_public,
            )
            client.send_test_message()
            assert isinstance(inbox.get(timeout=30), TestMessageResponse)
            client.send_flex_request(
                FlexRequest(
                    isp_duration=XmlDuration("PT15M"),
                    period=XmlDate.from_date(timezone.localdate() + timedelta(days=1)),
                    congestion_point="ean.871687129999999999",
                    revision=1,
                    expiration_date_time=(timezone.now() + timedelta(hours=1)).isoformat(),
                    isps=[
                        FlexRequestISP(
                            disposition=AvailableRequested.REQUESTED,
                            min_power=-5000,
                            max_power=-1000,
                            start=1,
                        )
                    ],
                )
            )
            answer = inbox.get(timeout=30)
            assert isinstance(answer, FlexRequestResponse)
            assert answer.result == AcceptedRejected.REJECTED
            assert answer.rejection_reason == "Invalid Congestion Point"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_run_uftp_without_a_key_stops_with_one_line():
    env = {k: v for k, v in os.environ.items() if not k.startswith("UFTP_")}
    done = subprocess.run(
        [sys.executable, MANAGE, "run_uftp", "--port", str(free_port())],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.decode().strip().splitlines() == [
        "CommandError: set UFTP_SIGNING_KEY or UFTP_SIGNING_KEY_FILE (make a pair with manage.py uftp_keygen)"
    ]


def test_uftp_keygen_writes_a_private_key_only_its_owner_reads(tmp_path, monkeypatch):
    out = tmp_path / "uftp.key"
    done = subprocess.run(
        [sys.executable, MANAGE, "uftp_keygen", "--out", str(out)], capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    public = done.stdout.decode().split("public key: ")[1].split()[0]
    monkeypatch.delenv("UFTP_SIGNING_KEY", raising=False)
    monkeypatch.setenv("UFTP_SIGNING_KEY_FILE", str(out))
    assert identity().public_key == public
    again = subprocess.run(
        [sys.executable, MANAGE, "uftp_keygen", "--out", str(out)], capture_output=True, timeout=60
    )
    assert again.returncode == 2  # never overwrites a key without --force
