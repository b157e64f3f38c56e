"""How the booking benchmark's clients pace their requests and what a pass measured: ``Pacer``
(closed loop with a think time, or open loop at Poisson send times, latency counted from when a
request was due), ``Pass`` (latencies per kind as the clients and the server saw them) and the
p95 targets a pass meets or misses.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from bench.measure import percentile

TARGET_P95_MS = {"availability": 50.0, "create": 150.0}
KINDS = (("availability", "GET availability"), ("create", "POST booking"))


def meets_targets(times: dict[str, list[float]]) -> bool:
    return all(
        times[kind] and percentile(times[kind], 0.95) <= limit
        for kind, limit in TARGET_P95_MS.items()
    )


@dataclass
class Pass:
    """What one pass measured: latencies per kind, as the clients and as the server saw them."""

    label: str
    client: dict[str, list[float]]
    server: dict[str, list[float]]
    codes: dict[str, dict[int, int]]
    wall: float

    @property
    def rate(self) -> float:
        return sum(len(v) for v in self.client.values()) / self.wall


class Pacer:
    """When a client sends its next request, and from when its latency counts.

    Closed loop (``think_ms``): a pause after each answer, latency from the send. Open loop
    (``rate``, requests per second for this client): Poisson send times fixed in advance,
    latency from when the request was due, so time spent waiting for the previous answer counts.
    """

    def __init__(
        self,
        seed: int,
        *,
        think_ms: float = 0,
        rate: float | None = None,
        requests: int | None = None,
        seconds: float | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.think_ms, self.rate = think_ms, rate
        self.requests, self.seconds = requests, seconds
        self.began = time.perf_counter()
        self.due = self.began
        self.upcoming: float | None = None
        self.sent = 0

    def more(self) -> bool:
        """Whether the client sends another request: within its count, and (open loop) due
        within its time."""
        if self.requests is not None and self.sent >= self.requests:
            return False
        if self.seconds is None:
            return True
        if self.rate is None:
            return time.perf_counter() - self.began < self.seconds
        return self._next_due() - self.began < self.seconds

    def _next_due(self) -> float:
        # Drawn once, so that the request sent is the one more() saw due in time.
        if self.upcoming is None:
            assert self.rate is not None
            self.upcoming = self.due + self.rng.expovariate(self.rate)
        return self.upcoming

    def wait(self) -> float:
        """Sleeps until the next request is due; returns the moment its latency counts from."""
        self.sent += 1
        if self.rate is None:
            if self.think_ms:
                time.sleep(self.rng.uniform(0, 2 * self.think_ms) / 1000)
            return time.perf_counter()
        due = self._next_due()
        self.due, self.upcoming = due, None
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        return due
