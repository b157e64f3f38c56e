"""The dispatcher: anytime stages under a hard deadline, each plan checked independently.

`solve()` runs its stages (safe plan, LP, flexibility around the plan, local search, LP with
flexibility) in a worker thread and keeps the best plan that passes `check.py`; at the deadline
the running solver call is interrupted. An LP plan is post-processed first (`postprocess.py`:
netting p = c - d and re-simulating the battery by the spec, clipping charge at the cap,
shrinking flexibility that the re-simulation does not support); a plan that still fails the
check is never kept, and plans compare as `ranking.py` says.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from .anytime import Best, Run
from .assign import assign
from .baselines import safe_plan, to_plan
from .bound import relaxation_bound
from .check import check_plan
from .core import Arrays, with_likely_stay
from .flexstages import colgen_stage, flex_lp_stage, offer_flex_around
from .improve import improve
from .lp import LPResult, builder
from .lpplan import plan_for
from .plan import Plan, Summary
from .ranking import band_excess, key_better, plan_key
from .scenario import Scenario

CG_NAME = "lp with flexibility (column generation)"
# a warm re-plan's column generation runs for this share of the time the re-plan took before
# it (the week, one new booking: 2 s after 3.3 s, the warm plan as good as the cold one)
WARM_CG_SHARE = 0.6
# vehicle-slots above which a scenario with flexibility is solved in two stages
STAGED_CELLS = 20_000
# the assignment's local search and its re-solve end by this share of the time limit
SEARCH_SHARE = 0.8
# the LP with flexibility runs alongside the local search when the time left is this many times
# what the LP without flexibility took (measured: 7x on d2, 14x on c, 40x on af)
FLEX_LP_FACTOR = 40.0
# below this many times, the LP with flexibility is not tried at all (af: 35x; c: 6-24x)
HOPELESS_FACTOR = 15.0


def solve(
    scn: Scenario,
    *,
    time_limit: float = 60.0,
    compute_bound: bool = False,
    bound_time_limit: float | None = None,
    solver: str = "highs",
    likely_stay_share: float | None = None,
    warm: dict[str, str] | None = None,
) -> Plan:
    """A checked plan within `time_limit` seconds of wall clock, everything included.

    Anytime: the safe plan comes first, then each stage (LP, flexibility around the plan,
    local search, the LP with flexibility) may only replace it with a better checked plan.
    The stages run in a worker thread; at the deadline the running solver call is
    interrupted and the best plan so far is returned. The bound (`bound.py`) is not planning:
    only with `compute_bound`, after the plan, in its own `bound_time_limit` (or `time_limit`).

    Private cars are planned to be charged by their likely departure as well (a softer target
    than rule 6's, see `core.LIKELY_STAY_SHARE`): `likely_stay_share` sets it, as a share of
    the declared stay, for the cars whose `likely_departure_slot` is not given (1: off).

    `warm` (a re-plan, rolling horizon): the previous plan's car per booking. Each booking
    keeps it where it is still feasible, and the local search only moves the others (new
    bookings, or those whose car no longer fits); the LP stages run as in a cold solve.
    """
    t0 = time.perf_counter()
    if likely_stay_share is not None:
        scn = with_likely_stay(scn, likely_stay_share)
    cells = len(scn.vehicles) * scn.slots
    # what is left after the worker: the summary and the caller's writing of the plan
    reserve = min(0.1 * time_limit, 0.05 + 4e-6 * cells)
    arr = Arrays.of(scn)
    run = Run(scn, arr, Best(scn), t0 + time_limit - reserve, solver, threading.Event(), t0)
    run.warm = dict(warm) if warm is not None else None
    worker = threading.Thread(target=_stages, args=(run,), name="dispatch", daemon=True)
    worker.start()
    worker.join(timeout=max(0.0, run.stop_at - time.perf_counter()))
    cut = worker.is_alive()
    if cut:
        run.cancel.set()
        builder.interrupt(worker.ident)
        run.notes.append("deadline reached: the running stage was stopped, best plan kept")
    for helper in list(run.helpers):  # a stage running alongside, still at it: stop it too
        if helper.is_alive():
            run.cancel.set()
            builder.interrupt(helper.ident)
            helper.join(timeout=0.05)
    with run.best.lock:
        plan, stage, result = run.best.plan, run.best.stage, run.best.result
    if plan is None:  # not even the safe plan in time (or a stage failed): make it here
        began = time.perf_counter()
        assignment = assign(scn, arr, policy="cost")
        final, p, more = safe_plan(scn, arr, assignment)
        run.notes.extend(more)
        plan, stage, result = to_plan(scn, final, p, {}), "safe", None
        run.stage("safe (after the deadline)", began, "improved")
    plan = Plan(
        scenario=plan.scenario,
        assignments=dict(plan.assignments),
        power_kw=plan.power_kw,
        flex_up_kw=plan.flex_up_kw,
        flex_down_kw=plan.flex_down_kw,
    )
    if result is None:
        result = check_plan(scn, plan)
    excess = band_excess(scn, plan)
    fallback = stage == "safe"
    summary = Summary(
        solver="safe-fallback" if fallback else f"anytime:{stage} + LP:{solver}",
        # every stage ran, or the deadline stopped one: not a claim of optimality
        status="FALLBACK (safe plan)" if fallback else ("COMPLETE" if not cut else "TIME_LIMIT"),
        stage=stage,
        fallback=fallback,
        stages=list(run.stages),
        seconds=round(time.perf_counter() - t0, 3),
        valid=result.valid,
        terms={k: round(v, 6) for k, v in result.terms.as_dict().items()},
        notes=list(run.notes),
        flexibility=run.flex_note or None,
        band_unkept_slots=[int(t) for t in np.flatnonzero(excess > 1e-6)],
        violations=[] if result.valid else result.violations[:20],
    )
    if summary.band_unkept_slots:
        unkept = summary.band_unkept_slots
        summary.notes.append(
            f"the grid band (rule 7) cannot be kept in {len(unkept)} slot(s): "
            + ", ".join(map(str, unkept[:20]))
        )
    if compute_bound:
        b = relaxation_bound(scn, arr, bound_time_limit or time_limit, solver)
        summary.bound, summary.bound_source = b.value, b.source or None
    if summary.bound is not None:
        score = result.terms.score
        summary.gap = (score - summary.bound) / max(1.0, abs(score))
    plan.report = summary
    plan.summary = summary.as_dict()
    return plan


def _stages(run: Run) -> None:
    """Safe plan, LP, flexibility around it, local search, LP with flexibility: in order."""
    try:
        _stages_inner(run)
    except Exception as exc:  # the best plan so far stands; a stage failure must not lose it
        run.notes.append(f"a stage failed ({exc.__class__.__name__}: {exc}); best plan kept")


def _stages_inner(run: Run) -> None:
    scn, arr = run.scn, run.arr
    began = time.perf_counter()
    assignment = assign(scn, arr, policy="cost", prefer=run.warm)
    focus: set[str] | None = None
    if run.warm is not None:
        free = [b.id for b in scn.bookings if b.vehicle is None]
        focus = {bid for bid in free if run.warm.get(bid) != assignment[bid]}
        run.notes.append(
            f"warm start: {len(free) - len(focus)} of {len(free)} booking(s) kept the "
            "previous plan's car"
        )
    for b in scn.bookings:
        if assignment[b.id] is None:
            run.notes.append(
                f"booking {b.id} left unserved: no free shared car can reach its "
                f"promise by slot {b.start_slot}"
            )
    final, p, more = safe_plan(scn, arr, assignment)
    run.notes.extend(more)
    run.stage("safe", began, run.offer(to_plan(scn, final, p, {}), "safe"))
    if run.stopped():
        return
    flex = arr.up is not None
    # with flexibility prices, the LP without flexibility first (a third of the size, a
    # plan early), flexibility around it without an LP, then the LP with flexibility
    staged = flex
    began = time.perf_counter()
    plan, res, _status, more = plan_for(
        scn, arr, assignment, run.stop_at, run.solver, with_flex=not staged
    )
    run.notes.extend(more)
    lp_outcome, lp_chk = run.offer_checked(plan, "lp")
    run.stage("lp" if not staged else "lp (no flexibility)", began, lp_outcome)
    if plan is None or res is None or lp_chk is None or run.stopped():
        return
    # the local search is judged against the plan it started from (without flexibility when
    # staged: against the best plan, which has flexibility around it, it would never win)
    lp_key = plan_key(scn, plan, lp_chk)
    if staged:
        offer_flex_around(run, plan, assignment, "lp + flexibility around")
    # the LP with flexibility for this assignment, alongside the local search (a second core;
    # on 124 cars it takes 8 s where the LP without flexibility took 0.2)
    early_flex: threading.Thread | None = None
    early_assignment = dict(assignment)
    lp_seconds = time.perf_counter() - began
    # ... when it can finish: it took 7-40x the LP without flexibility (d2, c, af); where it
    # cannot, it would only slow the search down (two cores), and column generation on the grid
    # rows runs after the search instead (alongside, building the cars' LPs took the search's
    # core, measured on af). Not in a warm re-plan: its search moves a few bookings and is over
    # before the LP is.
    lp_fits = run.left() > max(1.0, FLEX_LP_FACTOR * lp_seconds)
    if staged and focus is None and lp_fits:
        early_flex = threading.Thread(
            target=flex_lp_stage,
            args=(run, plan, early_assignment, "lp with flexibility (alongside)"),
            name="dispatch-flex",
            daemon=True,
        )
        run.helpers.append(early_flex)
        early_flex.start()
    # local search on the assignment (per-vehicle LPs), then the LP again for the new one
    t_search = time.perf_counter()
    # with flexibility, the LP with flexibility after the search needs its share of the time
    budget = (0.4 if staged else SEARCH_SHARE) * run.left() - (t_search - began)
    if focus is not None and not focus:
        run.stage("local search", t_search, "warm: every booking kept its car")
    elif budget > 0.3:
        try:
            better, info = improve(
                scn,
                arr,
                assignment,
                plan,
                deadline=t_search + budget,
                # a warm re-plan moves a few bookings: the subgradient prices judge those as
                # well, and GLOP's duals would cost most of its time (0.8 of 1.2 s on d2)
                with_duals=focus is None and len(scn.vehicles) * scn.slots <= STAGED_CELLS,
                focus=focus,
                lps=run.car_lps,
            )
        except Exception as exc:
            better, info = assignment, f"local search failed ({exc!r}); kept the first plan"
        run.notes.append(f"{info} in {time.perf_counter() - t_search:.2f} s")
        outcome = "no move"
        res2: LPResult | None = None
        if better != assignment and not run.stopped():
            plan2, res2, _st2, more2 = plan_for(
                scn, arr, dict(better), run.stop_at, run.solver, with_flex=not staged
            )
            outcome, chk2 = run.offer_checked(plan2, "local search")
            key2 = None if plan2 is None or chk2 is None else plan_key(scn, plan2, chk2)
            if (
                plan2 is not None
                and key2 is not None
                and (lp_key is None or key_better(key2, lp_key))
            ):
                if outcome != "improved":
                    outcome = "better than the LP's assignment"
                run.notes.extend(more2)
                plan, assignment, res = plan2, dict(plan2.assignments), res2 or res
                if staged:
                    offer_flex_around(run, plan, assignment, "local search + flexibility around")
        run.stage("local search", t_search, outcome)
    if early_flex is not None and dict(assignment) == early_assignment:
        # the search kept the assignment: the LP alongside is the one to wait for
        early_flex.join(timeout=max(0.0, run.left()))
        return
    if not staged or run.stopped() or run.left() < 1.0:
        if staged:
            run.flex_note += "; the LP with flexibility had no time left"
        return
    if run.left() < FLEX_LP_FACTOR * lp_seconds:
        if focus is not None:
            # a warm re-plan does not wait for a hopeless LP: column generation (anytime) for
            # WARM_CG_SHARE of what the re-plan took so far
            run.flex_note += "; the LP with flexibility would not finish in the time left"
            run.stage("lp with flexibility", time.perf_counter(), "skipped: would not finish")
            now = time.perf_counter()
            until = now + WARM_CG_SHARE * (now - run.began)
            colgen_stage(run, res, dict(assignment), CG_NAME, until=until)
            return
        name = CG_NAME
        if run.left() < HOPELESS_FACTOR * lp_seconds:
            # column generation alone (the LP alongside would halve its rounds: af)
            run.stage("lp with flexibility", time.perf_counter(), "skipped: would not finish")
            colgen_stage(run, res, dict(assignment), name)
            return
        # the LP may not finish: column generation alongside it (anytime, one core each);
        # whichever reaches the LP's optimum first stops the other (the week: the LP on one
        # assignment took 4 s, on the search's 16 s without finishing; column generation 6-9)
        lp_done, cg_done = threading.Event(), threading.Event()
        cg = threading.Thread(
            target=colgen_stage,
            args=(run, res, dict(assignment), name),
            kwargs={"stop": lp_done, "lp_stop": cg_done, "lp_thread": threading.get_ident()},
            name="dispatch-colgen",
            daemon=True,
        )
        run.helpers.append(cg)
        cg.start()
        if flex_lp_stage(run, plan, dict(assignment), "lp with flexibility", stop=cg_done):
            lp_done.set()
        cg.join(timeout=max(0.0, run.left()))
    else:
        flex_lp_stage(run, plan, dict(assignment), "lp with flexibility")
    if early_flex is not None:
        early_flex.join(timeout=max(0.0, run.left()))
