"""The dispatcher: assignment, LP, post-processing, independent check, safe fallback.

`solve()` always returns a plan that passes `check.py` whenever the scenario admits one that the
safe plan can find: the LP plan is post-processed (netting p = c - d and re-simulating the
battery by the spec, clipping charge at the cap, shrinking flexibility that the re-simulation
does not support), checked, and replaced by the safe plan if anything is still wrong.
"""

from __future__ import annotations

import re
import time
from typing import Any

import numpy as np

from .assign import assign
from .baselines import safe_plan, to_plan
from .check import check_plan
from .core import Arrays, FloatArr, plugged_mask, trips_by_vehicle
from .decompose import solve_fixed
from .improve import improve
from .lp import LPResult, build_and_solve
from .plan import Plan
from .scenario import Scenario

# vehicle-slots above which a scenario with flexibility is solved in two stages
STAGED_CELLS = 20_000
# the assignment's local search and its re-solve end by this share of the time limit
SEARCH_SHARE = 0.8

_VEH = re.compile(r"vehicle (\S+?):? ")
_SLOT = re.compile(r"slot (\d+)")


def solve(
    scn: Scenario, *, time_limit: float = 60.0, compute_bound: bool = True, solver: str = "highs"
) -> Plan:
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    arr = Arrays.of(scn)
    notes: list[str] = []
    assignment = assign(scn, arr, policy="cost")
    for b in scn.bookings:
        if assignment[b.id] is None:
            notes.append(
                f"booking {b.id} left unserved: no free shared car can reach its "
                f"promise by slot {b.start_slot}"
            )
    plan, res, status, more = _plan_for(scn, arr, assignment, deadline, solver)
    notes.extend(more)
    how = "greedy-cost"
    # Step 1b: local search on the assignment with per-vehicle LPs (`improve.py`), then steps
    # 2-3 again; the better checked plan wins, so this can only help.
    # All of it ends by SEARCH_SHARE of the time limit (a loaded machine stretches the re-solve).
    spent = time.perf_counter() - t0
    budget = t0 + SEARCH_SHARE * time_limit - time.perf_counter() - 1.3 * spent
    if plan is not None and res is not None and budget > max(0.3, 0.5 * spent):
        try:
            better_assignment, info = improve(
                scn,
                arr,
                assignment,
                plan,
                deadline=time.perf_counter() + budget,
                with_duals=len(scn.vehicles) * scn.slots <= STAGED_CELLS,
            )
        except Exception as exc:  # the first plan stands; a search failure must not lose it
            better_assignment, info = (
                assignment,
                f"local search failed ({exc!r}); kept the first plan",
            )
        notes.append(f"{info} in {time.perf_counter() - t0 - spent:.2f} s")
        if better_assignment != assignment:
            plan2, res2, status2, more2 = _plan_for(
                scn, arr, dict(better_assignment), deadline, solver
            )
            if plan2 is not None and (
                check_plan(scn, plan2).terms.score < check_plan(scn, plan).terms.score
            ):
                plan, res, status = plan2, res2, status2
                assignment = better_assignment
                notes.extend(more2)
                how = "greedy-cost + local search"
            else:
                notes.append("local search: the re-solved plan was not better; kept the first")
    fallback = plan is None
    if plan is None:
        why = "time limit" if time.perf_counter() >= deadline - 0.5 else f"LP status {status}"
        notes.append(f"fallback to the safe plan ({why}): charge early, no discharge, no flex")
        final_assignment, p, more = safe_plan(scn, arr, assignment)
        notes.extend(more)
        plan = to_plan(scn, final_assignment, p, {})
    seconds = time.perf_counter() - t0
    result = check_plan(scn, plan)
    summary: dict[str, Any] = {
        "solver": f"assign:{how} + LP:{solver}" if not fallback else "safe-fallback",
        "status": status if not fallback else f"FALLBACK ({status})",
        "seconds": round(seconds, 3),
        "valid": result.valid,
        "terms": {k: round(v, 6) for k, v in result.terms.as_dict().items()},
        "lp_objective": None if res is None or res.objective is None else res.objective,
        "lp_size": None
        if res is None
        else {"variables": res.variables, "constraints": res.constraints},
        "notes": notes,
    }
    if not result.valid:
        summary["violations"] = result.violations[:20]
    bound: float | None = None
    remaining = deadline - time.perf_counter()
    if compute_bound and remaining > 1.0:
        rel = build_and_solve(scn, arr, "relaxed", time_limit=remaining, solver=solver)
        if rel.status == "OPTIMAL" and rel.objective is not None:
            bound = rel.objective
            summary["bound_source"] = "LP relaxation of the whole problem (assignment relaxed)"
    summary["bound"] = bound
    score = result.terms.score
    summary["gap"] = None if bound is None else (score - bound) / max(1.0, abs(score))
    plan.summary = summary
    return plan


def _plan_for(
    scn: Scenario,
    arr: Arrays,
    assignment: dict[str, str | None],
    deadline: float,
    solver: str,
) -> tuple[Plan | None, LPResult | None, str, list[str]]:
    """Steps 2-3 for one assignment (mutated: bookings the grid cannot feed become null)."""
    notes: list[str] = []
    bound_of = {b.id: b.vehicle for b in scn.bookings}
    # Large horizons with flexibility: first the LP without flexibility (a third of the size),
    # so that a loaded machine still gets an optimised plan; then the full LP if time remains.
    staged = arr.up is not None and len(scn.vehicles) * scn.slots > STAGED_CELLS
    res: LPResult | None = None
    for _ in range(4):
        remaining = deadline - time.perf_counter()
        if remaining < 0.5:
            break
        res = build_and_solve(
            scn,
            arr,
            "fixed",
            assignment=assignment,
            time_limit=remaining * 0.9,
            solver=solver,
            with_flex=not staged,
        )
        if res.objective is None:
            break
        failing = [bid for bid, s in res.promise_slack.items() if s > 1e-4]
        droppable = [bid for bid in failing if bound_of[bid] is None]
        if not droppable:
            break
        for bid in droppable:
            assignment[bid] = None
            notes.append(
                f"booking {bid} left unserved: the grid limit cannot charge its car in time"
            )
        res = None

    plan: Plan | None = None
    status = "NO_SOLUTION" if res is None else res.status
    if res is not None and res.objective is not None:
        plan, more = _postprocess(scn, arr, assignment, res)
        notes.extend(more)
    remaining = deadline - time.perf_counter()
    if staged and plan is not None and remaining > 1.0:
        hint = np.array([plan.power_kw[v.id] for v in scn.vehicles], dtype=float)
        full, how = solve_fixed(
            scn,
            arr,
            assignment,
            time_limit=remaining * 0.9,
            solver=solver,
            hint=hint,
        )
        if full.objective is not None:
            notes.append(how)
            better, more = _postprocess(scn, arr, assignment, full)
            if better is not None and (
                check_plan(scn, better).terms.score < check_plan(scn, plan).terms.score
            ):
                plan, res, status = better, full, full.status
                notes.extend(more)
                notes.append("stage 2 (with flexibility) improved the stage-1 plan")
        else:
            notes.append(
                f"stage 2 (with flexibility) stopped: {full.status}; no flexibility offered"
            )
    return plan, res, status, notes


def _net(
    scn: Scenario, arr: Arrays, plugged: np.ndarray, res: LPResult, trips: list[Any]
) -> FloatArr:
    """p = c - d on plugged slots, re-simulated by the spec; clip charge that would overfill.

    A slot with both c and d in the LP stores *more* in the real battery than the LP believed
    (netting is less lossy), which can only break the cap: charging is clipped there.
    """
    h = arr.h
    p = np.where(plugged, res.c - res.d, 0.0)
    p = np.clip(p, -arr.dmax[:, None], arr.cmax[:, None])
    for i, v in enumerate(scn.vehicles):
        starts = {b.start_slot: b for b in trips[i]}
        soc = v.initial_soc_kwh
        cap = v.battery_kwh - 1e-7
        for t in range(v.plugged_in_from_slot, arr.n):
            b = starts.get(t)
            if b is not None:
                soc -= b.expected_km * v.consumption_kwh_per_km
            if not plugged[i, t]:
                continue
            q = p[i, t]
            gain = v.charge_efficiency * q * h if q >= 0 else q * h / v.discharge_efficiency
            if soc + gain > cap and q > 0:
                q = max(0.0, (cap - soc) / (v.charge_efficiency * h))
                p[i, t] = q
                gain = v.charge_efficiency * q * h
            soc += gain
    return p


def _postprocess(
    scn: Scenario, arr: Arrays, assignment: dict[str, str | None], res: LPResult
) -> tuple[Plan | None, list[str]]:
    notes: list[str] = []
    trips = trips_by_vehicle(scn, assignment)
    plugged = plugged_mask(arr, trips)
    p = _net(scn, arr, plugged, res, trips)
    base = to_plan(scn, assignment, p, {})
    if res.fu.size and res.fd.size:
        fu = np.where(plugged, np.minimum(res.fu, p + arr.dmax[:, None]), 0.0)
        fd = np.where(plugged, np.minimum(res.fd, arr.cmax[:, None] - p), 0.0)
        fu = np.maximum(fu, 0.0)
        fd = np.maximum(fd, 0.0)
        ids = [v.id for v in scn.vehicles]
        idx = scn.vehicle_index()
        for attempt in range(8):
            plan = to_plan(scn, assignment, p, {})
            plan.flex_up_kw = {vid: [float(x) for x in fu[i]] for i, vid in enumerate(ids)}
            plan.flex_down_kw = {vid: [float(x) for x in fd[i]] for i, vid in enumerate(ids)}
            chk = check_plan(scn, plan)
            if chk.valid:
                if attempt:
                    notes.append(f"flexibility shrunk in {attempt} round(s) to pass the check")
                return plan, notes
            if any(not v.startswith("rule 8") for v in chk.violations):
                break
            for msg in chk.violations:
                up = "all-up" in msg or "grows" in msg
                down = "all-down" in msg
                scale = 0.5 if attempt < 7 else 0.0
                mv = _VEH.search(msg)
                ms = _SLOT.search(msg)
                if mv and mv.group(1) in idx:
                    i = idx[mv.group(1)]
                    if up or not down:
                        fu[i] *= scale
                    if down or not up:
                        fd[i] *= scale
                elif ms:
                    t = int(ms.group(1))
                    if up:
                        fu[:, t] *= scale
                    if down:
                        fd[:, t] *= scale
        notes.append("flexibility dropped: it could not be made to pass the check")
    chk = check_plan(scn, base)
    if chk.valid:
        return base, notes
    notes.append("LP plan failed the independent check: " + chk.violations[0])
    return None, notes
