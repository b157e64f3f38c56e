"""Rule 7 before the bookings: free bookings give way where the fixed LP cannot keep the band.

The fixed LP (`lp`, mode "fixed") keeps the assignment it is given and prices any excess over
the grid band (`GRID_SLACK_EUR`), so with a band only the cars can keep (a forced import the
fleet must draw, an import limit below the base load that cars must feed back to meet) it
reports slots as unkept because the cars that could keep them are away on trips. The spec
allows a missed band only where no plan keeps it, and any booking may be left null (rule 1),
so `keep_band` tries that before the plan is settled.
"""

from __future__ import annotations

import time

import numpy as np

from .core import Arrays, BoolArr, FloatArr
from .lp import LPResult, build_and_solve
from .scenario import Scenario


def keep_band(
    scn: Scenario,
    arr: Arrays,
    assignment: dict[str, str | None],
    res: LPResult,
    deadline: float,
    solver: str,
    with_flex: bool,
    notes: list[str],
) -> LPResult:
    """Rule 7 before the bookings: where the fixed LP had to leave the band, a car away on a
    trip in that slot is a car that could have drawn (a forced import) or fed back (an import
    limit below the base load); the band may be missed only where *no* plan keeps it, and a
    booking may always be left null (rule 1). So free bookings away in those slots are
    dropped (`_give_way`: about as many as the excess asks) and the LP solved again, kept only
    if the band's total excess shrinks (`ranking.plan_key` compares that before the score);
    a few rounds, each dropping more where the excess remains. `assignment` is mutated."""
    idle_net = arr.base - arr.pv
    for _ in range(4):
        unkept = res.band_slack > 1e-4
        if not unkept.any() or deadline - time.perf_counter() < 0.2:
            break
        # what the band asks in each unkept slot: more import (the cars charge) or less
        need_more = unkept & (arr.base < -arr.exp_lim)
        need_less = unkept & (idle_net > arr.imp_lim)
        drop = _give_way(scn, arr, assignment, res.band_slack, need_more, need_less)
        if not drop:
            break
        trial = dict(assignment)
        for bid in drop:
            trial[bid] = None
        again = build_and_solve(
            scn,
            arr,
            "fixed",
            assignment=trial,
            time_limit=max(0.05, (deadline - time.perf_counter()) * 0.9),
            solver=solver,
            with_flex=with_flex and arr.up is not None,
        )
        if again.objective is None or again.grid_slack >= res.grid_slack - 1e-4:
            break
        assignment.update(trial)
        notes.append(
            f"{len(drop)} booking(s) left unserved so that the cars away on them keep the grid "
            f"band (rule 7): {', '.join(drop[:10])}"
        )
        res = again
    return res


# a car given back to the hub draws or feeds back less than its rating (a full battery, a
# promise to keep): each unkept kW asks this many kW of rating from the trips dropped
GIVE_WAY_FACTOR = 1.5


def _give_way(
    scn: Scenario,
    arr: Arrays,
    assignment: dict[str, str | None],
    slack: FloatArr,
    need_more: BoolArr,
    need_less: BoolArr,
) -> list[str]:
    """Free bookings to leave null: in each unkept slot, trips of cars that could help
    (charging where the band asks more import, feeding back where less), shortest trip first,
    until their ratings cover `GIVE_WAY_FACTOR` x the slot's excess."""
    idx = scn.vehicle_index()
    helps: list[tuple[int, str, int, int, int]] = []  # (length, booking, start, end, car)
    for b in scn.bookings:
        vid = assignment.get(b.id)
        if vid is None or b.vehicle is not None:
            continue
        helps.append((b.end_slot - b.start_slot, b.id, b.start_slot, b.end_slot, idx[vid]))
    helps.sort()
    drop: dict[str, None] = {}
    for t in np.flatnonzero(need_more | need_less):
        rating = arr.cmax if need_more[t] else arr.dmax
        covered = 0.0
        for _length, bid, a, z, i in helps:
            if not a <= t < z or rating[i] <= 0:
                continue
            covered += rating[i]
            drop[bid] = None
            if covered >= GIVE_WAY_FACTOR * slack[t]:
                break
    return list(drop)
