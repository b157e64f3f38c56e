"""The test-database choice: PostgreSQL-only tests skip on SQLite, and under CI=true that skip
fails the run instead of passing quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import pytest

@pytest.mark.postgres
def test_needs_postgres():
    assert True
"""


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    environment = {k: v for k, v in os.environ.items() if k not in {"CI", "TEST_DATABASE_NAME"}}
    environment.update(env, WISSELSTROOM_TEST_SQLITE="1", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(probe), "-p", "tests.dbselect", "-o", "addopts=",
         "--ds=config.settings", "-rs", "--rootdir", str(ROOT)],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_on_sqlite_a_postgres_test_is_skipped_with_the_reason(tmp_path):
    result = _run(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "needs PostgreSQL (tests are running on SQLite)" in result.stdout
    assert "tests use sqlite" in result.stdout


def test_under_ci_that_skip_fails_the_run(tmp_path):
    result = _run(tmp_path, CI="true")
    assert result.returncode != 0
    assert "1 error" in result.stdout  # a failure in setup: the run cannot pass
    assert "CI=true does not allow skipping it" in result.stdout
