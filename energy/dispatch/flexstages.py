"""The flexibility stages of `solver.py`: the LP with flexibility, column generation on the
grid rows (`colgen.py`) and rule 8 around a plan without an LP (`flexaround.py`); each offers
its plan to the run, which keeps it only if the check agrees and it is better."""

from __future__ import annotations

import threading
import time

import numpy as np

from .anytime import Run
from .baselines import to_plan
from .colgen import flex_by_colgen
from .core import plugged_mask, trips_by_vehicle
from .decompose import solve_fixed
from .flexaround import flex_around
from .lp import LPResult, builder
from .plan import Plan
from .postprocess import postprocess


def flex_lp_stage(
    run: Run,
    plan: Plan,
    assignment: dict[str, str | None],
    name: str,
    stop: threading.Event | None = None,
) -> bool:
    """The LP with flexibility for `assignment` (row generation on the grid rows), warm from
    `plan`, offered as stage `name` if the check agrees; True if the LP reached its optimum.
    `stop` (set with an interrupt by the column generation alongside) ends it early."""
    scn, arr = run.scn, run.arr
    began = time.perf_counter()
    full = None
    try:
        hint = np.array([plan.power_kw[v.id] for v in scn.vehicles], dtype=float)
        full, how = solve_fixed(
            scn,
            arr,
            dict(assignment),
            time_limit=run.left() * 0.95,
            solver=run.solver,
            hint=hint,
            stop=None if stop is None else stop.is_set,
        )
        outcome = "no plan"
        if full.objective is not None and not run.cancel.is_set():
            run.notes.append(how)
            better_plan, more = postprocess(scn, arr, dict(assignment), full)
            outcome, chk = run.offer_checked(better_plan, name)
            if chk is not None:
                run.flex_note += (
                    f"; the LP with flexibility ({name}) would offer "
                    f"{chk.terms.flex_income:.2f} EUR"
                )
            run.notes.extend(more)
        else:
            run.flex_note += f"; the LP with flexibility ({name}) stopped ({full.status})"
    except Exception as exc:  # the best plan so far stands
        outcome = f"failed ({exc.__class__.__name__})"
    run.stage(name, began, outcome)
    return full is not None and full.status == "OPTIMAL" and full.objective is not None


def colgen_stage(
    run: Run,
    res: LPResult,
    assignment: dict[str, str | None],
    name: str,
    stop: threading.Event | None = None,
    lp_stop: threading.Event | None = None,
    lp_thread: int | None = None,
    until: float | None = None,
) -> None:
    """The LP with flexibility by column generation around `res` (`colgen.py`), anytime;
    `stop` ends it (the LP alongside finished); at the LP's optimum it stops that LP; `until`:
    an earlier deadline than the run's."""
    began = time.perf_counter()
    try:
        outcome, how, optimal = flex_by_colgen(
            run.scn,
            run.arr,
            assignment,
            res,
            run.stop_at if until is None else min(until, run.stop_at),
            lambda plan: run.offer_checked(plan, name),
            stop=lambda: run.stopped() or (stop is not None and stop.is_set()),
            lps=run.car_lps,
        )
        if optimal and lp_stop is not None:
            lp_stop.set()
            builder.interrupt(lp_thread)
        run.notes.append(how)
        run.flex_note += f"; {how}"
    except Exception as exc:  # the best plan so far stands
        outcome = f"failed ({exc.__class__.__name__})"
    run.stage(name, began, outcome)


def offer_flex_around(run: Run, plan: Plan, assignment: dict[str, str | None], name: str) -> None:
    """Rule 8 around the existing plan without an LP (`flexaround.py`), if the check agrees."""
    began = time.perf_counter()
    scn, arr = run.scn, run.arr
    trips = trips_by_vehicle(scn, assignment)
    plugged = plugged_mask(arr, trips)
    p = np.array([plan.power_kw[v.id] for v in scn.vehicles], dtype=float)
    fu, fd = flex_around(scn, arr, p, trips, plugged)
    ids = [v.id for v in scn.vehicles]
    withflex = to_plan(scn, assignment, p, {})
    withflex.flex_up_kw = {vid: [float(x) for x in fu[i]] for i, vid in enumerate(ids)}
    withflex.flex_down_kw = {vid: [float(x) for x in fd[i]] for i, vid in enumerate(ids)}
    outcome, chk = run.offer_checked(withflex, name)
    if outcome == "improved" and chk is not None:
        run.flex_note = (
            f"offered around the plan (no LP): {chk.terms.flex_income:.2f} EUR, "
            f"{float(fu.sum() + fd.sum()) * arr.h:.1f} kWh of capacity-slots"
        )
    run.stage(name, began, outcome)
