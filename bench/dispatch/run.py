"""Running a case: each measurement in a fresh child process; one table row per case."""

from __future__ import annotations

import os
from typing import Any

from .cases import CASES, Case, build


def _child(job: str, case_name: str, time_limit: float, seed: int, out: Any) -> None:
    """One measurement in a fresh process, so ru_maxrss is this job's own peak (C++ included)."""
    import resource
    import time as _time

    from energy.dispatch.baselines import baseline_plan
    from energy.dispatch.bound import POOLED, relaxation_bound
    from energy.dispatch.check import check_plan
    from energy.dispatch.core import Arrays
    from energy.dispatch.parse import parse_scenario
    from energy.dispatch.solver import solve

    # the C++ solvers print a banner on fd 1; keep the benchmark table clean
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    case = CASES[case_name]
    case = Case(**{**case.__dict__, "seed": seed})
    scn = parse_scenario(build(case))
    result: dict[str, Any] = {}
    t0 = _time.perf_counter()
    if job == "solve":
        plan = solve(scn, time_limit=time_limit, compute_bound=False)
        result["seconds"] = _time.perf_counter() - t0
        chk = check_plan(scn, plan)
        result["score"] = chk.terms.score
        result["violations"] = len(chk.violations)
        result["promise_violations"] = sum(1 for v in chk.violations if "rule 6" in v)
        result["status"] = plan.summary.get("status")
        result["unserved"] = chk.terms.unserved_bookings
        result["shortfall_kwh"] = chk.terms.shortfall_kwh
        result["flex_income"] = chk.terms.flex_income
    elif job in ("uncontrolled", "greedy"):
        plan = baseline_plan(scn, job)
        chk = check_plan(scn, plan)
        result["score"] = chk.terms.score
        result["violations"] = len(chk.violations)
    else:
        bound = relaxation_bound(scn, Arrays.of(scn), time_limit)
        result["score"] = bound.value
        result["pooled"] = bound.source == POOLED
        result["status"] = bound.status
        result["seconds"] = _time.perf_counter() - t0
    result["maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    out.put(result)


def measure(job: str, case_name: str, time_limit: float, seed: int = 1) -> dict[str, Any]:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=_child, args=(job, case_name, time_limit, seed, q))
    proc.start()
    try:
        res: dict[str, Any] = q.get(timeout=time_limit * 3 + 120)
    except Exception:
        res = {"error": f"{job} did not finish"}
    proc.join(timeout=10)
    if proc.is_alive():
        proc.kill()
    return res


def measure_process(doc: dict[str, Any], time_limit: float) -> dict[str, Any]:
    """`manage.py plan_scenario` as a user runs it: wall seconds from process start (imports,
    parsing, solving, checking, writing), the process's peak memory, the plan checked here."""
    import json
    import subprocess
    import sys
    import tempfile
    import time as _time
    from pathlib import Path

    from energy.dispatch.check import check_plan
    from energy.dispatch.parse import parse_scenario
    from energy.dispatch.plan import parse_plan_text

    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "scenario.json", Path(tmp) / "plan.json"
        src.write_text(json.dumps(doc), encoding="utf-8")
        t0 = _time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "manage.py",
                "plan_scenario",
                str(src),
                "--out",
                str(out),
                "--time-limit",
                str(time_limit),
            ],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = _time.perf_counter() - t0
        if status != 0 or not out.exists():
            return {"error": f"plan_scenario exited {status}", "wall": wall}
        scn = parse_scenario(doc)
        plan = parse_plan_text(out.read_text(encoding="utf-8"), scn)
    chk = check_plan(scn, plan)
    return {
        "wall": wall,
        "seconds": plan.summary.get("seconds"),
        "maxrss_mib": usage.ru_maxrss / 1024.0,
        "score": chk.terms.score,
        "violations": len(chk.violations),
        "promise_violations": sum(1 for v in chk.violations if "rule 6" in v),
        "status": plan.summary.get("status"),
        "stage": plan.summary.get("stage"),
        "unserved": chk.terms.unserved_bookings,
        "flex_income": chk.terms.flex_income,
    }


HEADER = (
    "case",
    "vehicles",
    "bookings",
    "slots",
    "limit",
    "wall",
    "seconds",
    "peak_MiB",
    "score",
    "uncontrolled",
    "greedy",
    "bound",
    "captured",
    "flex_eur",
    "promise_viol",
    "invalid",
    "stage",
    "bound_method",
)


def run_case(
    case_name: str, time_limit: float, bound_time_limit: float = 600.0, seed: int = 1
) -> dict[str, Any]:
    case = Case(**{**CASES[case_name].__dict__, "seed": seed})
    doc = build(case)
    sol = measure_process(doc, time_limit)
    unc = measure("uncontrolled", case_name, time_limit, seed)
    gre = measure("greedy", case_name, time_limit, seed)
    bnd = measure("bound", case_name, bound_time_limit, seed)
    score, u, b = sol.get("score"), unc.get("score"), bnd.get("score")
    captured = None
    if score is not None and u is not None and b is not None and u - b > 1e-9:
        captured = (u - score) / (u - b)
    return {
        "case": case_name,
        "vehicles": len(doc["vehicles"]),
        "bookings": len(doc["bookings"]),
        "slots": doc["slots"],
        "limit": time_limit,
        "wall": sol.get("wall"),
        "seconds": sol.get("seconds"),
        "flex_eur": sol.get("flex_income"),
        "stage": sol.get("stage", sol.get("error")),
        "bound_method": _bound_method(doc, bnd),
        "peak_MiB": sol.get("maxrss_mib"),
        "score": score,
        "uncontrolled": u,
        "greedy": gre.get("score"),
        "bound": b,
        "captured": captured,
        "promise_viol": sol.get("promise_violations"),
        "invalid": sum(int(bool(r.get("violations"))) for r in (sol, unc, gre)),
        "status": sol.get("status", sol.get("error")),
        "unserved": sol.get("unserved"),
        "bound_seconds": bnd.get("seconds"),
        "bound_status": bnd.get("status"),
    }


def format_row(row: dict[str, Any]) -> str:
    def f(x: Any) -> str:
        if x is None:
            return "-"
        if isinstance(x, float):
            return f"{x:.3f}" if abs(x) < 1e5 else f"{x:.4g}"
        return str(x)

    out = []
    for k in HEADER:
        v = row.get(k)
        if k == "captured" and isinstance(v, float):
            out.append(f"{100 * v:.1f}%")
        else:
            out.append(f(v))
    return " | ".join(out)


def _bound_method(doc: dict[str, Any], bnd: dict[str, Any]) -> str:
    """How the bound was computed, and whether it is weak (say so rather than hide it)."""
    if bnd.get("score") is None:
        return f"none ({bnd.get('status', bnd.get('error', 'no result'))})"
    shared = [v for v in doc["vehicles"] if v["kind"] == "shared"]
    keys = {
        (v["battery_kwh"], v["initial_soc_kwh"], v["max_charge_kw"], v["max_discharge_kw"])
        for v in shared
    }
    status = bnd.get("status", "")
    if bnd.get("pooled"):
        return (
            "LP relaxation, shared cars of one model pooled whatever their initial charge "
            f"(weaker than one class per car; {status})"
        )
    if len(keys) * 2 > len(shared):
        return f"LP relaxation, {len(keys)} car classes: weak (cars barely aggregate; {status})"
    return f"LP relaxation, {len(keys)} car classes ({status})"
