"""The driver of the UFTP benchmark, run in a process of its own whose ``DATABASE_URL`` is the
benchmark's throwaway database and whose ``REDIS_URL`` is Redis database 11: it migrates that
database, empties that Redis database, makes the hub's and the DSO's key pairs, starts the
DSO's service (in this process), seeds the hubs, starts the real ``manage.py run_uftp`` and
real Celery workers, has every hub planned once, runs the DSO's day (``bench.uftp.rounds``)
and reports (``bench.uftp.report``).
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.core.management.base import CommandError

from bench.measure import free_port
from bench.uftp.dso import AGR_DOMAIN, DSO_DOMAIN, Arrival, agr_client, dso_service
from bench.uftp.report import report
from bench.uftp.rounds import Campaign
from bench.uftp.seed import BenchHub, hubs_seed, operator_create
from energy.grid.uftp_messages import PATH

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60.0  # for run_uftp to listen, and for the workers to take tasks
FIRST_PLANS_SECONDS = 900.0


def drive(options: dict[str, Any], out: Callable[[str], Any]) -> None:
    """Migrate, seed, serve, trade and report (``out`` writes one line)."""
    import redis
    from django.conf import settings
    from django.core.management import call_command

    from energy.grid.keys import keypair_generate

    logging.getLogger("shapeshifter-uftp").setLevel(logging.ERROR)
    call_command("migrate", verbosity=0)
    redis.Redis.from_url(settings.REDIS_URL or "").flushdb()  # database 11: ours alone
    agr_private, agr_public = keypair_generate()
    dso_private, dso_public = keypair_generate()
    dso_port, agr_port = free_port(), free_port()
    operator = operator_create(
        endpoint_url=f"http://127.0.0.1:{dso_port}{PATH}", public_key=dso_public, domain=DSO_DOMAIN
    )
    hubs = hubs_seed(
        operator=operator, hubs=options["hubs"], cars=options["cars"], bookings=options["bookings"]
    )
    env = {**os.environ, "UFTP_SIGNING_KEY": agr_private, "UFTP_SENDER_DOMAIN": AGR_DOMAIN}
    inbox: queue.Queue[Arrival] = queue.Queue()
    service = dso_service(
        inbox, private_key=dso_private, agr_public=agr_public, port=dso_port, agr_port=agr_port
    )
    # uvicorn's access log would print a line per message the hub sends
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    began = time.monotonic()
    with tempfile.TemporaryFile("w+") as logs, service, _processes(options, env, agr_port, logs):
        first = first_plans(hubs)
        out(
            f"{len(hubs)} hubs x {options['cars']} cars, {options['bookings']} bookings each, "
            f"{options['slots']} slots per plan, {options['workers']} worker(s); first plans "
            f"in {first:.1f} s"
        )
        client = agr_client(private_key=dso_private, agr_public=agr_public, agr_port=agr_port)
        campaign = Campaign(client=client, inbox=inbox, hubs=hubs, options=options, log=out)
        out(
            f"{options['rounds']} rounds of FlexRequests at {options['speed']:g}x "
            f"(one every {campaign.interval:g} s) for {options['window']} ISPs from "
            f"{campaign.day_start:%Y-%m-%d %H:%M} UTC on"
        )
        tally = campaign.run()
        report(out, options, hubs, tally, seconds=time.monotonic() - began)
        logs.seek(0)
        tail = [line.rstrip() for line in logs if "Traceback" in line or "ERROR" in line]
        if tail:
            out(f"the processes logged {len(tail)} error line(s); the first: {tail[0][:160]}")


@contextmanager
def _processes(
    options: dict[str, Any], env: dict[str, str], agr_port: int, logs: IO[str]
) -> Iterator[None]:
    procs: list[subprocess.Popen[str]] = []
    try:
        for n in range(options["workers"]):
            procs.append(
                subprocess.Popen(  # noqa: S603 - fixed argv
                    [sys.executable, "-m", "celery", "-A", "config", "worker",
                     "-Q", "dispatch,default", "-P", "solo", "--without-gossip",
                     "--without-mingle", "--without-heartbeat", "-n", f"uftpbench{n}@%h",
                     "--loglevel=WARNING"],
                    cwd=ROOT, env=env, stdout=logs, stderr=logs, text=True,
                )
            )  # fmt: skip
        server = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "manage.py", "run_uftp", "--port", str(agr_port)],
            cwd=ROOT,
            env=env,
            stdout=logs,
            stderr=logs,
            text=True,
        )
        procs.append(server)
        _wait_for(agr_port, server)
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_for(port: int, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError("run_uftp ended before it listened", returncode=1)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise CommandError(f"run_uftp did not listen within {START_SECONDS:.0f} s", returncode=1)


def first_plans(hubs: list[BenchHub]) -> float:
    """Every hub planned once by the workers (what beat does every 15 minutes), so there is
    flexibility to offer; seconds it took."""
    from energy.models import DispatchRun
    from energy.tasks import plan_hub

    began = time.monotonic()
    for hub in hubs:
        plan_hub.apply_async((hub.id, "schedule"), expires=FIRST_PLANS_SECONDS)
    ids = [h.id for h in hubs]
    runs = DispatchRun.objects.filter(hub_id__in=ids, finished_at__isnull=False)
    while runs.order_by().values("hub_id").distinct().count() < len(ids):
        if time.monotonic() - began > FIRST_PLANS_SECONDS:
            raise CommandError("the first plans were not all made in 15 minutes", returncode=1)
        time.sleep(0.5)
    planned = set(runs.filter(is_current=True).values_list("hub_id", flat=True))
    if len(planned) < len(ids):
        errors = list(runs.exclude(hub_id__in=planned).values_list("error", flat=True)[:1])
        raise CommandError(
            f"{len(ids) - len(planned)} hub(s) got no valid first plan: {errors}", returncode=1
        )
    return time.monotonic() - began
