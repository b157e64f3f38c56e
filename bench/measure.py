"""What every benchmark measures with: the nearest-rank percentile of a list of timings and a
free loopback port for the server a benchmark starts. The booking, OCPP and orchestration
benchmarks use them, so that their p50/p95 columns mean the same thing.
"""

from __future__ import annotations

import socket


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank `q` quantile (0 to 1) of `values`; NaN for none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
