"""Issue 12: the time limit is a deadline, planning is anytime, the bound is only on request,
per-slot (possibly negative) grid limits (rule 7), flexibility around a plan at any scale."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from energy.dispatch import baseline_plan, check_plan, parse_scenario, solve
from energy.dispatch import solver as solver_module
from energy.dispatch.core import Arrays
from tests.dispatch.factories import booking, private, scenario, vehicle

ROOT = Path(__file__).resolve().parents[2]


def _fleet(n: int = 96, flex: bool = False, cars: int = 6) -> dict[str, Any]:
    vehicles = [
        vehicle(f"car-{i}", initial_soc_kwh=30.0, max_discharge_kw=11.0 if i % 2 else 0.0)
        for i in range(cars)
    ]
    vehicles.append(private("own-1", departure_slot=min(n, 80), departure_soc_kwh=45.0))
    bookings = [booking(f"b{j}", 32 + 4 * j, 44 + 4 * j, 60.0) for j in range(cars // 2)]
    doc = scenario(n=n, vehicles=vehicles, bookings=bookings)
    if flex:
        doc["flexibility"] = {"up_eur_per_kw": [0.01] * n, "down_eur_per_kw": [0.008] * n}
    return doc


def _net(scn: Any, plan: Any) -> np.ndarray:
    total = sum(np.asarray(plan.power_kw[v.id]) for v in scn.vehicles)
    return np.asarray(scn.site.base_load_kw) + total


def test_a_hanging_stage_still_yields_a_checked_plan_by_the_deadline(monkeypatch) -> None:
    """A solver stage that never returns (a fake that sleeps) cannot hold the plan back."""

    def hang(*args: Any, **kwargs: Any) -> Any:
        time.sleep(60)
        raise AssertionError("unreachable")

    monkeypatch.setattr(solver_module, "plan_for", hang)
    scn = parse_scenario(_fleet())
    began = time.perf_counter()
    plan = solve(scn, time_limit=1.5)
    elapsed = time.perf_counter() - began
    assert elapsed < 30, "solve() waited for the hanging stage"  # the stage sleeps 60 s
    assert check_plan(scn, plan).valid
    assert plan.summary["stage"] == "safe"
    assert plan.summary["fallback"] is True
    # the typed account says the same as the document's summary
    assert plan.report is not None and plan.report.fallback and plan.report.stage == "safe"
    assert plan.report.as_dict() == plan.summary
    assert any("deadline" in n for n in plan.summary["notes"])
    assert [s["stage"] for s in plan.summary["stages"]] == ["safe"]


def test_the_summary_names_the_stage_and_times_every_stage() -> None:
    scn = parse_scenario(_fleet(flex=True))
    plan = solve(scn, time_limit=20)
    summary = plan.summary
    assert check_plan(scn, plan).valid
    names = [s["stage"] for s in summary["stages"]]
    assert names[0] == "safe"
    assert "lp (no flexibility)" in names
    assert summary["stage"] != "safe"
    assert summary["fallback"] is False
    assert all(s["seconds"] >= 0 for s in summary["stages"])


def test_the_bound_is_not_computed_unless_asked(monkeypatch) -> None:
    modes: list[str] = []
    from energy.dispatch import bound as bound_module
    from energy.dispatch import lpplan as lpplan_module

    real = lpplan_module.build_and_solve

    def spy(scn: Any, arr: Any, mode: str, **kw: Any) -> Any:
        modes.append(mode)
        return real(scn, arr, mode, **kw)

    monkeypatch.setattr(lpplan_module, "build_and_solve", spy)
    monkeypatch.setattr(bound_module, "build_and_solve", spy)
    scn = parse_scenario(_fleet())
    plan = solve(scn, time_limit=10)
    assert "relaxed" not in modes
    assert plan.summary["bound"] is None
    plan = solve(scn, time_limit=10, compute_bound=True)
    assert "relaxed" in modes
    assert plan.summary["bound"] is not None
    assert plan.summary["bound"] <= check_plan(scn, plan).terms.score + 1e-6


def test_per_slot_capacity_limit_and_minimum_import_are_kept() -> None:
    doc = _fleet()
    n = doc["slots"]
    imp = [250.0] * n
    exp = [250.0] * n
    base, pv = doc["site"]["base_load_kw"], doc["site"]["pv_kw"]
    for t in range(64, 84):
        imp[t] = max(0.0, base[t] - pv[t]) + 1.0  # a capacity limit just above the homes' load
    for t in range(48, 52):
        exp[t] = -20.0  # an activated order: import at least 20 kW
    doc["site"]["grid_import_limit_kw"] = imp
    doc["site"]["grid_export_limit_kw"] = exp
    scn = parse_scenario(doc)
    plan = solve(scn, time_limit=20)
    assert check_plan(scn, plan).valid, check_plan(scn, plan).violations[:3]
    net = _net(scn, plan)
    pv = np.asarray(pv)
    assert np.all(net[48:52] >= 20.0 - 1e-6)  # PV curtailed at most to 0: import >= 20
    assert np.all(net[64:84] - pv[64:84] <= np.asarray(imp[64:84]) + 1e-6)
    assert "band_unkept_slots" not in plan.summary


def test_negative_import_limit_makes_the_fleet_feed_back() -> None:
    doc = _fleet()
    n = doc["slots"]
    doc["site"]["pv_kw"] = [0.0] * n
    imp = [250.0] * n
    for t in range(8, 12):
        imp[t] = -5.0  # export at least 5 kW at night: only the V2G cars can
        doc["site"]["base_load_kw"][t] = 10.0
    doc["site"]["grid_import_limit_kw"] = imp
    scn = parse_scenario(doc)
    plan = solve(scn, time_limit=20)
    assert check_plan(scn, plan).valid, check_plan(scn, plan).violations[:3]
    assert np.all(_net(scn, plan)[8:12] <= -5.0 + 1e-6)


def test_a_band_no_plan_can_keep_is_named_and_the_best_plan_returned() -> None:
    doc = _fleet(cars=2)
    n = doc["slots"]
    exp = [250.0] * n
    exp[40] = -500.0  # a minimum import of 500 kW: far above what two cars can draw
    imp = [250.0] * n
    imp[40] = 600.0
    doc["site"]["grid_export_limit_kw"] = exp
    doc["site"]["grid_import_limit_kw"] = imp
    scn = parse_scenario(doc)
    plan = solve(scn, time_limit=10)
    assert plan.summary["band_unkept_slots"] == [40]
    result = check_plan(scn, plan)
    assert result.violations and all(
        v.startswith(("rule 7: slot 40:", "rule 8/7: slot 40:")) for v in result.violations
    )
    assert "below the required import 500" in result.violations[0]
    # the best it can do: draw as much as it can in that slot
    assert _net(scn, plan)[40] > float(np.asarray(scn.site.base_load_kw)[40])


def test_flexibility_is_offered_on_a_staged_case_even_without_the_flex_lp(monkeypatch) -> None:
    """Rule 8 around the plan (no LP) when the LP with flexibility cannot finish."""

    def no_flex_lp(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the LP with flexibility did not finish")

    from energy.dispatch import flexstages

    monkeypatch.setattr(flexstages, "solve_fixed", no_flex_lp)
    # (and no column generation either: the flexibility around the plan is what is left)
    monkeypatch.setattr(flexstages, "flex_by_colgen", lambda *a, **k: ("no plan", "off", False))
    scn = parse_scenario(_fleet(n=192, flex=True, cars=10))
    plan = solve(scn, time_limit=20)
    result = check_plan(scn, plan)
    assert result.valid, result.violations[:3]
    assert result.terms.flex_income > 0
    assert "around the plan" in plan.summary["flexibility"]


def test_every_offer_activated_at_once_keeps_every_promise() -> None:
    """The worst case of rule 8: all upward (then all downward) flexibility activated."""
    scn = parse_scenario(_fleet(flex=True, cars=8))
    plan = solve(scn, time_limit=20)
    assert plan.flex_up_kw and plan.flex_down_kw
    for sign, flex in ((-1.0, plan.flex_up_kw), (1.0, plan.flex_down_kw)):
        activated = type(plan)(
            scenario=plan.scenario,
            assignments=plan.assignments,
            power_kw={
                vid: [p + sign * f for p, f in zip(power, flex[vid], strict=True)]
                for vid, power in plan.power_kw.items()
            },
        )
        result = check_plan(scn, activated)
        assert not [v for v in result.violations if "rule 6" in v or "rule 5" in v]


def test_plan_scenario_counts_the_deadline_from_process_start(tmp_path: Path) -> None:
    doc = _fleet(flex=True)
    src = tmp_path / "s.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "p.json"
    proc = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "plan_scenario",
            str(src),
            "--out",
            str(out),
            "--time-limit",
            "8",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(out.read_text(encoding="utf-8"))["summary"]
    assert summary["bound"] is None
    # the solver got what the process had left, not the whole limit
    assert summary["seconds"] < 8


@pytest.mark.parametrize("value", ["[1, 2]", '"x"'])
def test_empty_or_malformed_band_exits_2_with_one_line(tmp_path: Path, value: str) -> None:
    doc = _fleet()
    if value == "[1, 2]":
        doc["site"]["grid_import_limit_kw"] = -300.0
        doc["site"]["grid_export_limit_kw"] = 100.0
    else:
        doc["site"]["grid_import_limit_kw"] = "x"
    src = tmp_path / "s.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "p.json"
    proc = subprocess.run(
        [sys.executable, "manage.py", "plan_scenario", str(src), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "site" in lines[0] and "Traceback" not in proc.stderr
    assert not out.exists()


def test_with_flexibility_the_local_search_keeps_what_it_finds(monkeypatch) -> None:
    """With flexibility prices the local search starts from the LP without flexibility; what it
    finds must be judged against that plan (against the best one, which already has
    flexibility around it, it never won and its assignment was thrown away)."""
    n = 96
    prices = [0.50] * 8 + [0.05] * (n - 8)
    doc = scenario(
        n=n,
        vehicles=[
            vehicle("full", initial_soc_kwh=45.0, max_discharge_kw=11.0),
            vehicle("low", initial_soc_kwh=10.0, max_discharge_kw=11.0),
        ],
        bookings=[booking("trip", 8, 20, 120.0)],
    )
    doc["prices"] = {"import_eur_per_kwh": prices, "export_eur_per_kwh": list(prices)}
    # flexibility worth more than what the search gains: the flexibility around the first
    # plan beats the search's plan without flexibility
    doc["flexibility"] = {"up_eur_per_kw": [0.06] * n, "down_eur_per_kw": [0.05] * n}
    scn = parse_scenario(doc)
    # the first assignment puts the trip on the nearly empty car (it must charge at 0.50)
    real_assign = solver_module.assign

    def poor(scn_: Any, arr: Any, policy: str = "cost", **kw: Any) -> dict[str, str | None]:
        out = real_assign(scn_, arr, policy=policy, **kw)
        out["trip"] = "low"
        return out

    monkeypatch.setattr(solver_module, "assign", poor)
    plan = solve(scn, time_limit=30)
    assert check_plan(scn, plan).valid
    assert plan.assignments["trip"] == "full"
    search = next(s for s in plan.summary["stages"] if s["stage"] == "local search")
    assert search["outcome"] in ("improved", "better than the LP's assignment")
    assert plan.summary["stage"] in ("lp with flexibility", "local search + flexibility around")
    assert plan.summary["terms"]["flex_income"] > 0


@pytest.mark.parametrize("kind", ["uncontrolled", "greedy"])
def test_the_baselines_and_the_safe_plan_keep_a_minimum_import(kind: str) -> None:
    """A band that asks a minimum import (negative export limit): the reference plans charge
    plugged cars more there instead of breaking rule 7."""
    doc = _fleet(cars=2)
    n = doc["slots"]
    exp = [250.0] * n
    exp[60] = -60.0  # at least 60 kW in: the homes draw 40, the two cars can add 22
    doc["site"]["grid_export_limit_kw"] = exp
    doc["site"]["pv_kw"] = [0.0] * n
    doc["vehicles"] = doc["vehicles"][:2]  # two shared cars with room in their batteries
    doc["bookings"] = []
    doc["terminal_value_eur_per_kwh"] = 0.0  # nothing charges for its own sake
    scn = parse_scenario(doc)
    plan = baseline_plan(scn, kind)
    result = check_plan(scn, plan)
    assert result.valid, result.violations[:3]
    assert _net(scn, plan)[60] >= 60.0 - 1e-6
    safe = solver_module.safe_plan(scn, Arrays.of(scn), {})
    assert float(np.sum(safe[1][:, 60])) + 40.0 >= 60.0 - 1e-6


def test_a_running_highs_solve_stops_when_interrupted(monkeypatch) -> None:
    """The deadline's hard stop reaches HiGHS itself: a solve interrupted from another thread
    returns cancelled at once, long before its own time limit (OR-Tools' interrupt_solve did
    not stop HiGHS, so a stopped stage kept a core busy until its LP was done)."""
    import threading

    from energy.dispatch.core import Arrays
    from energy.dispatch.lp import build_and_solve
    from energy.dispatch.lp import builder as lp_builder

    n = 96
    vehicles = [
        vehicle(f"car-{i}", initial_soc_kwh=20.0 + i % 30, max_discharge_kw=11.0) for i in range(60)
    ]
    bookings = [booking(f"b{j}", 8 + j % 60, 20 + j % 60, 80.0) for j in range(40)]
    doc = scenario(n=n, vehicles=vehicles, bookings=bookings)
    doc["flexibility"] = {"up_eur_per_kw": [0.01] * n, "down_eur_per_kw": [0.008] * n}
    scn = parse_scenario(doc)
    arr = Arrays.of(scn)
    # the interior point without presolve, one iteration at a time (each ends in a callback
    # that can stop it): far longer than the moment the test stops it
    monkeypatch.setenv("DISPATCH_SOLVER_PARAMS", "solver=ipm;presolve=off")
    out: list[Any] = []
    worker = threading.Thread(
        target=lambda: out.append(build_and_solve(scn, arr, "relaxed", time_limit=600)),
        daemon=True,
    )
    began = time.perf_counter()
    worker.start()
    while not lp_builder.interrupt(worker.ident):  # until the solve runs, then stop it
        assert worker.is_alive(), "the LP was solved before it could be stopped"
        time.sleep(0.005)
    worker.join(timeout=300)
    assert not worker.is_alive(), "the interrupted solve did not return"
    assert out[0].status == "CANCELLED_BY_USER" and out[0].objective is None
    assert time.perf_counter() - began < 300  # far below the solve's own 600 s
