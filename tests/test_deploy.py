"""Production settings pass Django's deployment checks, and docker-compose runs the stack in
the right order with health checks (Docker itself does not run on these machines)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "hub.wisselstroom.example",
    "CSRF_TRUSTED_ORIGINS": "https://hub.wisselstroom.example",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "ADMINS": "Fleet desk <fleet@wisselstroom.example>",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DEBUG"))}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    # the browser tests' pytest-playwright run sets this for the test process; a deployment
    # never has it (Django's async.E001)
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_with_production_settings_is_clean():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_proxy_and_hsts_settings_come_from_the_environment():
    shown = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_HSTS_PRELOAD)",
        **PRODUCTION,
    )

    assert shown.returncode == 0, shown.stderr
    assert (
        shown.stdout.strip().splitlines()[-1]
        == "('HTTP_X_FORWARDED_PROTO', 'https') True 31536000 True True"
    )


def test_without_them_check_deploy_names_what_is_missing():
    env = {k: v for k, v in PRODUCTION.items() if not k.startswith("SECURE_")}

    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode != 0
    assert "security.W004" in result.stderr  # HSTS
    assert "security.W008" in result.stderr  # HTTPS redirect


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_migrates_once_before_anything_uses_the_database():
    services = _compose()["services"]

    assert services["migrate"]["command"] == "python manage.py migrate --noinput"
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat", "ocpp"):
        wait = services[name]["depends_on"]
        assert wait["migrate"] == {"condition": "service_completed_successfully"}, name
        assert wait["postgres"] == {"condition": "service_healthy"}, name


def test_compose_checks_the_health_of_web_worker_and_ocpp():
    services = _compose()["services"]

    assert "/healthz/live" in " ".join(services["web"]["healthcheck"]["test"])
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])
    assert "9000/healthz" in " ".join(services["ocpp"]["healthcheck"]["test"])


def test_web_alone_keeps_its_workers_request_counters_where_it_may_write():
    services = _compose()["services"]

    web = services["web"]["environment"]
    assert web["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")
    assert web["DATABASE_URL"] == services["worker"]["environment"]["DATABASE_URL"]
    for name in ("worker", "beat", "ocpp", "uftp", "migrate"):
        assert "PROMETHEUS_MULTIPROC_DIR" not in services[name]["environment"], name
    assert "PROMETHEUS_MULTIPROC_DIR=/tmp/" in (ROOT / "Dockerfile").read_text()


def test_beat_keeps_its_schedule_file_where_it_may_write():
    beat = _compose()["services"]["beat"]["command"]

    assert "--schedule /tmp/celerybeat-schedule" in beat


def test_the_image_installs_the_production_lock_only_and_copies_no_venv():
    dockerfile = (ROOT / "Dockerfile").read_text()
    ignored = (ROOT / ".dockerignore").read_text().splitlines()

    assert "pip install --no-cache-dir -r requirements.lock" in dockerfile
    assert "requirements-dev.lock" not in dockerfile
    assert {".venv", ".git", "tests", "db.sqlite3"} <= set(ignored)
