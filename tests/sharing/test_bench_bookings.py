"""The booking benchmark's pacing: what its latencies mean depends on it."""

from __future__ import annotations

import itertools
import time

from bench.bookings.pacing import Pacer, meets_targets
from bench.measure import percentile


def test_open_loop_counts_latency_from_when_a_request_was_due():
    pacer = Pacer(1, rate=1000.0, requests=200)
    dues = []
    while pacer.more():
        dues.append(pacer.wait())
    assert len(dues) == 200
    gaps = [b - a for a, b in itertools.pairwise(dues)]
    assert all(gap >= 0 for gap in gaps)
    assert 0.0005 < sum(gaps) / len(gaps) < 0.002  # Poisson at 1000/s: 1 ms apart on average
    # A client that falls behind sends at once, but its latency still counts from the due time.
    late = Pacer(2, rate=1000.0, requests=1)
    time.sleep(0.05)
    due = late.wait()
    assert time.perf_counter() - due >= 0.04


def test_closed_loop_counts_from_the_send_and_stops_after_its_requests():
    pacer = Pacer(3, think_ms=0, requests=3)
    sent = []
    while pacer.more():
        before = time.perf_counter()
        sent.append(pacer.wait() >= before)
    assert sent == [True, True, True]


def test_targets_need_both_kinds_and_both_p95_within_limits():
    fast = {"availability": [10.0] * 19 + [60.0], "create": [100.0] * 20}
    assert percentile(fast["availability"], 0.95) == 10.0
    assert meets_targets(fast)
    assert not meets_targets({**fast, "create": [100.0] * 18 + [200.0] * 2})
    assert not meets_targets({**fast, "create": []})


def test_open_loop_sends_nothing_due_after_its_time():
    """Otherwise a slow rate's last request, due well after the step, stretches the step and
    understates the rate achieved."""
    pacer = Pacer(4, rate=20.0, seconds=0.3)
    dues = []
    while pacer.more():
        dues.append(pacer.wait())
    assert dues and all(due - pacer.began < 0.3 for due in dues)
    assert time.perf_counter() - pacer.began < 0.35
