"""A bad environment stops start-up with a message that names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start_django(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "TIME_ZONE"}
    }
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_defaults_start_on_a_laptop():
    assert start_django().returncode == 0


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://db.example.org/wisselstroom"),
        ("REDIS_URL", "http://cache.example.org"),
        ("EMAIL_URL", "carrier-pigeon://loft"),
        ("TIME_ZONE", "Europe/Wisselspoor"),
    ],
)
def test_bad_value_refuses_to_start_and_names_the_variable(variable, value):
    result = start_django(**{variable: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def test_debug_off_with_the_development_secret_key_refuses_to_start():
    result = start_django(DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
