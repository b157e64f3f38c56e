"""/metrics under gunicorn with several workers and ``PROMETHEUS_MULTIPROC_DIR``: a scrape,
whichever worker answers it, counts the requests every worker served, a worker's requests stay
counted after it died, and the master starts with an empty directory (gunicorn.conf.py)."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "scrape-" + "m" * 40
RESPONSES = "django_http_responses_total_by_status_view_method_total"
# Refused scrapes (no token): counted like any request, and neither throttled per address (as
# the API is, which would answer 429 part-way) nor in need of collected static files.
REFUSED = {"method": "GET", "status": "401", "view": "metrics"}

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, tmp_path: Path) -> None:
        self.port = _free_port()
        self.directory = tmp_path / "prometheus"
        self.directory.mkdir()
        # A counter file of an earlier run: gunicorn's master must drop it before workers start.
        (self.directory / "counter_999999.db").write_bytes(b"left over")
        settings = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1",
            "EMAIL_URL": "locmem://",
            "METRICS_TOKEN": TOKEN,
            "PROMETHEUS_MULTIPROC_DIR": str(self.directory),
            "CELERY_TASK_ALWAYS_EAGER": "true",
        }
        for name in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):
            env.pop(name, None)
        self.log = (tmp_path / "gunicorn.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,  # gunicorn.conf.py is read from here
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def get(self, path: str, **headers: str) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()

    def workers_up(self) -> int:
        """Workers that loaded the app: each opens its counter file as it does."""
        return len(list(self.directory.glob("counter_*.db")))

    def wait_until_up(self, workers: int = 2) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, Path(self.log.name).read_text()
            try:
                if self.get("/healthz/live")[0] == 200 and self.workers_up() >= workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("gunicorn did not come up: " + Path(self.log.name).read_text())

    def worker_counts(self) -> dict[int, float]:
        """The refused scrapes each worker's own file holds, by worker pid."""
        counts = {}
        for path in self.directory.glob("counter_*.db"):
            pid = int(path.stem.rsplit("_", 1)[1])
            counts[pid] = sum(
                sample.value
                for family in MultiProcessCollector.merge([str(path)])
                for sample in family.samples
                if sample.name == RESPONSES and sample.labels == REFUSED
            )
        return counts

    def scraped(self) -> float:
        status, text = self.get("/metrics", Authorization=f"Bearer {TOKEN}")
        assert status == 200
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == RESPONSES and sample.labels == REFUSED
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture
def server(tmp_path):
    server = Server(tmp_path)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


def test_a_scrape_adds_up_the_requests_of_every_worker(server):
    assert not (server.directory / "counter_999999.db").exists()
    made = 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        # Rounds of concurrent requests until both workers have served some (almost always
        # the first round already).
        for _ in range(10):
            statuses = pool.map(lambda _: server.get("/metrics")[0], range(20))
            assert set(statuses) == {401}
            made += 20
            if sum(1 for n in server.worker_counts().values() if n) >= 2:
                break
    per_worker = server.worker_counts()
    assert sum(1 for n in per_worker.values() if n) == 2, per_worker

    assert server.scraped() == made
    assert server.scraped() == made  # whichever worker answers

    # A worker that dies takes nothing with it; gunicorn starts another in its place.
    os.kill(next(pid for pid, n in per_worker.items() if n), signal.SIGKILL)
    server.wait_until_up(workers=3)
    assert server.scraped() == made
