"""Running a case: each measurement in a fresh child process; one table row per case."""

from __future__ import annotations

import os
from typing import Any

from .cases import CASES, Case, build


def _child(job: str, case_name: str, time_limit: float, seed: int, out: Any) -> None:
    """One measurement in a fresh process, so ru_maxrss is this job's own peak (C++ included)."""
    import resource
    import time as _time

    from ..baselines import baseline_plan
    from ..check import check_plan
    from ..core import Arrays
    from ..lp import build_and_solve
    from ..scenario import parse_scenario
    from ..solver import solve

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
        rel = build_and_solve(scn, Arrays.of(scn), "relaxed", time_limit=time_limit)
        result["score"] = rel.objective if rel.status == "OPTIMAL" else None
        result["status"] = rel.status
        result["seconds"] = rel.seconds
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


HEADER = (
    "case",
    "vehicles",
    "bookings",
    "slots",
    "seconds",
    "peak_MiB",
    "score",
    "uncontrolled",
    "greedy",
    "bound",
    "captured",
    "promise_viol",
    "invalid",
    "status",
)


def run_case(
    case_name: str, time_limit: float, bound_time_limit: float = 600.0, seed: int = 1
) -> dict[str, Any]:
    case = Case(**{**CASES[case_name].__dict__, "seed": seed})
    doc = build(case)
    sol = measure("solve", case_name, time_limit, seed)
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
        "seconds": sol.get("seconds"),
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
