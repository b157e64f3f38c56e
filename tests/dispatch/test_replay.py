"""The early-departure replay (issue 12) on a small subset of the quick case (one day, 30 kW):
structural truths only, no timings and no expected figures."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from bench.dispatch.replay.sessions import MAX_KW, H, Replay, build_replay, data_missing
from bench.dispatch.replay.simulate import Result, run_algorithm
from bench.management.commands.bench_replay import shared_data_dir

ROOT = Path(__file__).resolve().parents[2]
DATA = shared_data_dir()
MISSING = data_missing(DATA)
HAS_ACN = importlib.util.find_spec("acnportal") is not None

needs_data = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
needs_acn = pytest.mark.skipif(not HAS_ACN, reason="acnportal (a development dependency) is absent")

LIMIT_KW = 30.0
SESSIONS = 5


@pytest.fixture(scope="module")
def small() -> Replay:
    return build_replay(DATA, days=1, seed=3, max_sessions=SESSIONS)


@pytest.fixture(scope="module")
def results(small: Replay) -> dict[str, Result]:
    # the hub's history as ours-history learns it: a few stays, half of them left early
    history = [1.0, 0.6, 1.0, 0.7] * 6
    return {
        name: run_algorithm(small, name, LIMIT_KW, project_root=ROOT, history=history)
        for name in ("edf", "llf", "ours", "ours-history")
    }


@needs_data
def test_declared_departures_are_never_before_the_actual_ones(small: Replay) -> None:
    assert len(small.sessions) == SESSIONS
    for s in small.sessions:
        assert s.arrival < s.departure <= s.declared
        assert 0 < s.requested_kwh <= MAX_KW * H * (s.departure - s.arrival)
        assert s.initial_kwh + s.requested_kwh <= s.battery_kwh
        if not s.early:
            assert s.declared == s.departure


@needs_data
@needs_acn
def test_the_algorithms_see_only_declared_departures(
    small: Replay, monkeypatch: pytest.MonkeyPatch
) -> None:
    import acnportal.algorithms as algorithms

    seen: list[Any] = []
    real = algorithms.earliest_deadline_first

    def spy(evs: list[Any], iface: Any) -> list[Any]:
        seen.extend(evs)
        return real(evs, iface)

    monkeypatch.setattr(algorithms, "earliest_deadline_first", spy)
    run_algorithm(small, "edf", LIMIT_KW, project_root=ROOT)
    declared = {s.session_id: s.declared for s in small.sessions}
    assert seen
    for ev in seen:
        assert ev.departure == ev.estimated_departure == declared[ev.session_id]


@needs_data
@needs_acn
@pytest.mark.slow
def test_no_algorithm_breaks_the_limit_or_delivers_more_than_requested(
    small: Replay, results: dict[str, Result]
) -> None:
    for name, r in results.items():
        assert r.sessions == SESSIONS, name
        assert r.requested_kwh == pytest.approx(small.requested_kwh), name
        assert 0 < r.delivered_kwh <= r.requested_kwh + 1e-6, name
        assert r.over_request_kwh <= 1e-6, name
        assert 0 <= r.met <= r.sessions, name
        assert 0 <= r.early_met <= r.early_sessions <= r.sessions, name
        assert r.early_sessions == sum(s.early for s in small.sessions), name
        # ACN-Sim's own account: no schedule it was given broke the aggregate constraint
        assert r.schedule_warnings == 0, name
        assert r.over_limit_periods == 0, name
        assert r.peak_kw <= LIMIT_KW * (1 + 1e-6), name


@needs_data
@needs_acn
@pytest.mark.slow
def test_our_planner_was_called_and_every_plan_was_valid(
    results: dict[str, Result],
) -> None:
    for name in ("ours", "ours-history"):
        stats = results[name].planner
        assert stats is not None
        assert stats.walls, f"plan_scenario was never called ({name})"
        assert stats.invalid_plans == 0, stats.first_violation
        assert stats.retries == 0, stats.retry_reasons  # --likely-departures was accepted


def test_the_command_refuses_without_the_shared_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARED_DATA", str(tmp_path))
    with pytest.raises(CommandError) as exc:
        call_command("bench_replay", "--quick")
    assert exc.value.returncode == 2
    assert "shared data not found" in str(exc.value)
    assert "\n" not in str(exc.value)
