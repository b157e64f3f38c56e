"""`manage.py seed_demo` ends with the log-in block, not buried under a line per seeded mail."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_seeding_logs_no_mail_lines_and_prints_the_log_ins_last(capsys, caplog):
    caplog.set_level(logging.INFO)
    call_command("seed_demo", "--no-plan")
    out = capsys.readouterr().out
    chatty = [r for r in caplog.records if "send_booking_mail" in r.getMessage()]
    assert chatty == []
    lines = [line for line in out.splitlines() if line.strip()]
    tail = "\n".join(lines[-7:])
    assert "Demo hub ready" in tail
    assert "resident@wisselstroom.example" in tail and "wisselstroom-demo" in tail
    assert "DEMO-WSPR-JOIN" in tail


def test_quiet_logs_restores_the_levels():
    from energy.management.commands.seed_demo import quiet_logs

    logger = logging.getLogger("celery.app.trace")
    logger.setLevel(logging.INFO)
    with quiet_logs():
        assert not logger.isEnabledFor(logging.INFO)
    assert logger.level == logging.INFO
    logger.setLevel(logging.NOTSET)
