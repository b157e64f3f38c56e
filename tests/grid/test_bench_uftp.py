"""``manage.py bench_uftp`` end to end, tiny: two hubs, two rounds of requests at 900x, against
the real ``run_uftp``, a real worker, Redis and PostgreSQL. Timing is not what a test can judge;
what must hold whatever the machine: every request answered, offers made and ordered, each
order sent twice applied once, no order lost, every promise of the final plans kept."""

from __future__ import annotations

import io
import json
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def test_bench_uftp_answers_every_request_and_applies_each_order_once(tmp_path):
    out = io.StringIO()
    results = tmp_path / "bench.json"

    call_command(
        "bench_uftp",
        "--hubs=2",
        "--cars=3",
        "--bookings=3",
        "--workers=1",
        "--hours=0.5",  # two rounds
        "--speed=900",  # one a second
        "--window=60",  # nearly all the horizon: wherever the plans hold flexibility
        "--lead=1",
        # a plan reaches the end of its local day from any hour (a 100-slot day at most):
        # only a day the plan covers to its end gets a D-Prognosis
        "--slots=104",
        "--time-limit=5",
        "--duplicate-every=1",  # every order twice
        "--settle=120",
        f"--json={results}",
        f"--database=test_bench_uftp_{os.getpid()}",
        stdout=out,
    )

    text = out.getvalue()
    summary = json.loads(results.read_text())
    assert summary["requests"] >= 4, text  # 2 hubs x 2 rounds (one more across midnight)
    assert summary["requests_answered"] == summary["requests"], text
    assert summary["offers"] > 0 and summary["orders"] > 0, text
    assert summary["orders_accepted"] == summary["orders"], text
    assert summary["order_to_plan_s"]["n"] == summary["orders"], text  # every band planned
    assert summary["duplicates_sent"] == summary["orders"], text
    assert summary["duplicates_accepted_once"] == summary["duplicates_sent"], text
    assert summary["applied_twice"] == 0 and summary["orders_lost"] == 0, text
    assert summary["promise_violations"] == 0, text
    assert "PASS  zero orders applied twice" in text
    assert "FlexOffers (request -> offer)" in text
    # the DSO answers each D-Prognosis like a real one, and the hubs record its answers
    assert summary["d_prognoses_received"] > 0, text
    assert summary["d_prognoses_accepted"] == summary["d_prognoses_received"], text
    assert summary["d_prognoses_sent"].get("accepted", 0) > 0, text
    assert "received by the DSO" in text


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("--hubs=0", "--hubs: 1 to 500"),
        ("--speed=0", "--speed: 1 to 3600"),
        ("--slots=20", "--slots: the plans must cover the whole simulated day"),
        ("--database=bad;name", "--database: a plain lowercase name"),
    ],
)
def test_bench_uftp_bad_input_is_one_line_and_exit_2(argument, message):
    with pytest.raises(CommandError) as error:
        call_command("bench_uftp", argument)

    assert error.value.returncode == 2
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_bench_uftp_without_redis_is_one_line_and_exit_2(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    with pytest.raises(CommandError) as error:
        call_command("bench_uftp", "--quick")

    assert error.value.returncode == 2
    assert str(error.value).startswith("Redis redis://127.0.0.1:1:")
    assert "\n" not in str(error.value)
