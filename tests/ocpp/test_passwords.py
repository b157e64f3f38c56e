"""Fiona gives each charger its OCPP password, from the admin or the command line."""

from __future__ import annotations

import io
import socket

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from energy.models import Charger
from tests.energy.conftest import make_hub
from tests.ocpp.conftest import in_fresh_thread

NEW = "new-bay-password-0042"


@pytest.fixture
def charger(db, fast_hashing) -> Charger:
    make_hub("pwhub", cars=1)
    return Charger.objects.get(ocpp_id="pwhub-B00")


def _hash(charger: Charger) -> str:
    return Charger.objects.get(pk=charger.pk).auth_password_hash


def _change(client, charger: Charger, password: str):
    return client.post(
        reverse("admin:energy_charger_change", args=[charger.pk]),
        {
            "bay": charger.bay_id,
            "ocpp_id": charger.ocpp_id,
            "protocol": charger.protocol,
            "ac_charge_kw": "11",
            "ac_discharge_kw": "11",
            "bidirectional": "on",
            "new_password": password,
        },
    )


def test_admin_sets_a_password_which_is_stored_hashed(client, fleet_admin, charger):
    client.force_login(fleet_admin)

    response = _change(client, charger, NEW)

    assert response.status_code == 302
    stored = _hash(charger)
    assert stored and NEW not in stored
    assert check_password(NEW, stored)


def test_admin_leaves_the_password_alone_when_the_field_is_empty(client, fleet_admin, charger):
    Charger.objects.filter(pk=charger.pk).update(auth_password_hash="kept")
    client.force_login(fleet_admin)

    _change(client, charger, "")

    assert _hash(charger) == "kept"


def test_admin_refuses_a_short_password_and_never_shows_one(client, fleet_admin, charger):
    client.force_login(fleet_admin)

    response = _change(client, charger, "short")

    assert response.status_code == 200
    assert "A charger password has 16 to 40 characters." in response.content.decode()
    assert _hash(charger) == ""
    page = client.get(reverse("admin:energy_charger_change", args=[charger.pk])).content.decode()
    assert "new OCPP password" in page
    assert "auth_password_hash" not in page


def test_command_generates_a_password_and_prints_it_once(charger):
    out = io.StringIO()

    call_command("set_charger_password", "pwhub-B00", "--generate", stdout=out)

    password = out.getvalue().strip()
    assert len(password) >= 16
    assert check_password(password, _hash(charger))


def test_command_reads_the_password_from_stdin(charger, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW + "\n"))

    call_command("set_charger_password", "pwhub-B00", stdout=io.StringIO())

    assert check_password(NEW, _hash(charger))


@pytest.mark.parametrize(
    ("ocpp_id", "stdin", "message"),
    [
        ("NOPE-B99", NEW, "NOPE-B99: no charger with this OCPP identity"),
        ("pwhub-B00", "short", "pwhub-B00: A charger password has 16 to 40 characters."),
        ("pwhub-B00", "with a space inside it", "printable ASCII characters without spaces"),
    ],
)
def test_command_bad_input_is_one_line_and_exit_2(charger, monkeypatch, ocpp_id, stdin, message):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin + "\n"))

    with pytest.raises(CommandError) as error:
        call_command("set_charger_password", ocpp_id)

    assert error.value.returncode == 2
    assert message in str(error.value)
    assert "\n" not in str(error.value)
    assert _hash(charger) == ""


def test_run_ocpp_refuses_a_bad_port_or_a_taken_one_with_exit_2():
    with pytest.raises(CommandError) as bad:
        in_fresh_thread(call_command, "run_ocpp", "--port", "70000")
    assert bad.value.returncode == 2

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError) as busy:
            in_fresh_thread(call_command, "run_ocpp", "--port", str(port))
    assert busy.value.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in str(busy.value)
