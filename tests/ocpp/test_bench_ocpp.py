"""``manage.py bench_ocpp`` runs end to end (tiny here: timing is not what a test can judge)."""

from __future__ import annotations

import io
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.ocpp.conftest import in_fresh_thread


@pytest.mark.postgres
def test_bench_ocpp_connects_the_chargers_and_prints_the_table():
    out = io.StringIO()

    in_fresh_thread(
        call_command,
        "bench_ocpp",
        "--chargers=5",
        "--seconds=1",
        "--interval=0.2",
        "--bad-rate=5",
        f"--database=test_bench_ocpp_{os.getpid()}",
        stdout=out,
    )

    text = out.getvalue()
    assert "connected 5/5" in text
    assert "p95 ms" in text
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.strip()}
    assert int(rows["quiet"][1]) > 0 and int(rows["attack"][1]) > 0  # heartbeats answered
    assert int(rows["attack"][6]) > 0  # bad handshakes were made, and refused


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("--chargers=0", "--chargers: 1 to 10000"),
        ("--seconds=-1", "--seconds: more than 0"),
        ("--bad-rate=-5", "--bad-rate: 0 to 1000"),
        ("--database=bad;name", "--database: a plain lowercase name"),
    ],
)
def test_bench_ocpp_bad_input_is_one_line_and_exit_2(argument, message):
    with pytest.raises(CommandError) as error:
        call_command("bench_ocpp", argument)

    assert error.value.returncode == 2
    assert message in str(error.value)
    assert "\n" not in str(error.value)
