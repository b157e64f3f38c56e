"""The booking benchmark's clients: ``run_pass`` runs ``--clients`` threads, each with an API token
and a keep-alive connection, that look a window up (``GET /api/availability/``) and book what was
offered (``POST /api/bookings/`` with an idempotency key), paced by a ``Pacer``; ``run_sweep``
runs the open-loop steps of rising total rate. Each returns what the clients and the server
measured.
"""

from __future__ import annotations

import http.client
import json
import random
import secrets
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bench.bookings.pacing import Pacer, Pass, meets_targets
from bench.bookings.server import Gunicorn


def run_pass(
    out: Callable[[str], Any],
    label: str,
    opts: dict[str, Any],
    server: Gunicorn,
    tokens: list[str],
    base: Any,
    pacer_for: Callable[[int], Pacer],
    *,
    seed: int,
) -> Pass:
    out(f"pass: {label} ...")
    skip = server.access_lines()
    timings: dict[str, list[float]] = {"availability": [], "create": []}
    codes: dict[str, dict[int, int]] = {"availability": {}, "create": {}}
    lock = threading.Lock()
    released: list[float] = []
    barrier = threading.Barrier(
        opts["clients"], action=lambda: released.append(time.perf_counter())
    )

    def client(index: int) -> None:
        rng = random.Random(seed + index)  # the windows asked for
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        headers = {
            "Authorization": f"Token {tokens[index % len(tokens)]}",
            "Content-Type": "application/json",
        }
        # Warm-up (not timed): every worker has loaded everything once.
        for _ in range(2):
            conn.request("GET", "/api/hubs/", headers=headers)
            conn.getresponse().read()
        barrier.wait()
        pacer = pacer_for(index)

        def timed(kind: str, method: str, url: str, body: str | None = None) -> Any:
            # Creates carry an idempotency key, so a retry can never book twice.
            sent = {**headers, "Idempotency-Key": secrets.token_hex(8)} if body else headers
            began = pacer.wait()
            for attempt in (1, 2):
                try:
                    conn.request(method, url, body=body, headers=sent)
                    response = conn.getresponse()
                    data = response.read()
                    break
                except (http.client.RemoteDisconnected, ConnectionError):
                    # The server closed a keep-alive connection that sat idle: reconnect.
                    conn.close()
                    if attempt == 2:
                        raise
            took = (time.perf_counter() - began) * 1000
            with lock:
                timings[kind].append(took)
                codes[kind][response.status] = codes[kind].get(response.status, 0) + 1
            return json.loads(data) if response.status == 200 else None

        # A resident looks a window up and books it if offered (or the first nearby window),
        # then the next one, as long as the pacer lets the client go on.
        while pacer.more():
            start = base + timedelta(days=rng.randint(0, 58), hours=rng.randint(7, 18))
            end = start + timedelta(hours=rng.randint(1, 4))
            km = rng.choice([20, 50, 100, 200])
            query = (
                f"/api/availability/?hub=bench&start={start.isoformat()}"
                f"&end={end.isoformat()}&range_km={km}"
            ).replace("+", "%2B")
            answer = timed("availability", "GET", query)
            if answer is None or not pacer.more():
                continue
            if not answer["available"]:
                if not answer["suggestions"]:
                    continue
                window = answer["suggestions"][0]
                start_text, end_text = window["start"], window["end"]
            else:
                start_text, end_text = start.isoformat(), end.isoformat()
            body = json.dumps(
                {"hub": "bench", "start": start_text, "end": end_text, "promised_range_km": km}
            )
            timed("create", "POST", "/api/bookings/", body)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(opts["clients"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - released[0]  # from the end of the warm-up
    time.sleep(0.3)  # the workers' last access-log lines
    return Pass(label, timings, server.server_times(skip), codes, wall)


def run_sweep(
    out: Callable[[str], Any],
    opts: dict[str, Any],
    server: Gunicorn,
    tokens: list[str],
    base: Any,
    capacity: float,
) -> list[tuple[float, Pass]]:
    """Open-loop steps of rising total rate; 'auto' stops at the first step that misses."""
    spec = opts["rates"].strip().lower()
    if spec in ("", "none", "0"):
        return []
    auto = spec == "auto"
    if auto:
        rates = [10.0 * k for k in range(1, max(1, int(capacity // 10)) + 1)]
    else:
        rates = [float(r) for r in spec.split(",") if r.strip()]
    steps: list[tuple[float, Pass]] = []
    for step, rate in enumerate(rates):

        def pacer(index: int, step: int = step, rate: float = rate) -> Pacer:
            per_client = rate / opts["clients"]
            return Pacer(3000 + 100 * step + index, rate=per_client, seconds=opts["step_seconds"])

        measured = run_pass(
            out,
            f"open loop at {rate:.0f} requests/s",
            opts,
            server,
            tokens,
            base,
            pacer,
            seed=200 + 100 * step,
        )
        steps.append((rate, measured))
        if auto and not meets_targets(measured.client):
            break
    return steps
