"""The LP's index space: vehicle classes, their trips, the candidate pairs and plugged windows.

`layout()` turns a scenario, a mode and (fixed mode) an assignment into what every rule of
`rules.py` and `flex.py` is written over: one row of each (class, slot) grid per vehicle class
(a single vehicle, or in the relaxation k identical shared cars modelled as one), the trips each
class surely makes, the free bookings with the classes that may serve them (rule 2), the slots in
which a class is surely plugged (rule 3), and each class's window of boundaries [plug-in,
departure or horizon end] outside which nothing moves, so no columns or rows are made there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import MARGIN, Arrays, BoolArr, FloatArr
from ..scenario import Booking, Scenario, Vehicle, trip_need_kwh
from .builder import IntArr


@dataclass
class VehicleClass:
    """Identical vehicles modelled as one (relaxed mode); a single vehicle otherwise."""

    members: list[int]
    rep: Vehicle

    @property
    def k(self) -> float:
        return float(len(self.members))


def vehicle_key(v: Vehicle) -> tuple[object, ...]:
    """What makes two vehicles identical for the relaxation (everything but the id)."""
    return (
        v.kind,
        v.battery_kwh,
        v.initial_soc_kwh,
        v.min_soc_kwh,
        v.max_charge_kw,
        v.max_discharge_kw,
        v.charge_efficiency,
        v.discharge_efficiency,
        v.consumption_kwh_per_km,
        v.plugged_in_from_slot,
        v.unavailable,
    )


@dataclass(frozen=True)
class Layout:
    """Per class c: its constants (battery, floor and initial charge summed over its k members),
    its trips, where it is plugged, and its window; per candidate pair q = (booking, class):
    the free booking and the class (relaxed and integer modes only)."""

    n: int
    h: float
    fixed: bool
    margin: float  # how far inside every hard bound the dispatcher aims (0 for the bound)
    classes: list[VehicleClass]
    k: FloatArr  # members per class
    rep: list[Vehicle]  # the class's vehicle (any member: they are identical)
    cmax: FloatArr
    dmax: FloatArr
    eta_c: FloatArr
    eta_d: FloatArr
    battery: FloatArr  # x k
    min_soc: FloatArr  # x k
    initial: FloatArr  # x k
    avail: BoolArr  # (class, slot): at the hub, bookings aside
    trips: list[list[Booking]]  # per class, by start: bound bookings, or the assignment's
    free: list[Booking]  # relaxed / integer: the bookings without a car yet
    trip_energy: FloatArr  # (class, slot): energy of the fixed trips leaving at that slot
    plugged: BoolArr  # (class, slot): surely plugged (rule 3; a class: some member is)
    turnaround: int  # min_turnaround_slots (rule 2)
    pairs: list[tuple[int, int]]  # (index into `free`, class) that rule 2 allows
    pair_class: IntArr
    pair_booking: IntArr
    pair_start: IntArr
    pair_end: IntArr
    first: IntArr  # per class: the plug-in boundary, where the window opens
    in_window: BoolArr  # (class, boundary)
    slot_in_window: BoolArr  # (class, slot): both of its boundaries in the window
    boundary: IntArr  # (1, boundary): the boundary numbers, for comparisons with `first`

    @property
    def nc(self) -> int:
        return len(self.classes)


def vehicle_classes(
    scn: Scenario,
    fixed: bool,
    *,
    aggregate: bool,
    only: list[int] | None,
    pool_initial: int = 0,
) -> list[VehicleClass]:
    """One class per vehicle, except in the relaxation (`aggregate`): identical shared cars
    without bound bookings form one class of k cars with k-fold limits (a sum of valid per-car
    inequalities, hence still a relaxation). `only` (fixed mode): a sub-LP over these vehicles
    alone (the local search in `improve.py`, with grid prices).

    `pool_initial` (relaxation, > 0): shared cars that differ only in their initial charge are
    pooled too, into at most that many classes per model (by rank of initial charge), each
    starting with its members' summed charge. Nothing else in the relaxation depends on a car's
    initial charge (its margin is zero, its pairs and floors come from the model), so every
    row of a pooled class is still the sum of its members' rows: a relaxation, and one whose
    size no longer grows with a fleet whose initial charges all differ (weaker than one class
    per charge: a pooled class may lend one member's energy to another)."""
    vs = scn.vehicles
    if fixed and only is not None:
        return [VehicleClass([i], vs[i]) for i in only]
    if fixed or not aggregate:
        return [VehicleClass([i], v) for i, v in enumerate(vs)]
    bound_vehicles = {b.vehicle for b in scn.bookings if b.vehicle is not None}
    groups: dict[tuple[object, ...], list[int]] = {}
    pooled: dict[tuple[object, ...], list[int]] = {}
    for i, v in enumerate(vs):
        if v.is_private or v.id in bound_vehicles:
            groups.setdefault((vehicle_key(v), v.id), []).append(i)
        elif pool_initial > 0:
            key = vehicle_key(v)
            pooled.setdefault(key[:2] + key[3:], []).append(i)
        else:
            groups.setdefault(vehicle_key(v), []).append(i)
    for members in pooled.values():
        ranked = sorted(members, key=lambda i: (vs[i].initial_soc_kwh, i))
        for part in np.array_split(np.array(ranked), min(pool_initial, len(ranked))):
            groups.setdefault(("pool", int(part[0])), []).extend(int(i) for i in part)
    return [VehicleClass(m, vs[m[0]]) for m in groups.values()]


def fixed_trips(
    scn: Scenario,
    classes: list[VehicleClass],
    fixed: bool,
    assignment: dict[str, str | None] | None,
) -> tuple[list[list[Booking]], list[Booking]]:
    """The trips each class surely makes (rule 1: bound bookings always; in fixed mode every
    assigned booking), by start, and the free bookings (relaxed and integer modes)."""
    vidx = scn.vehicle_index()
    cls_of_vehicle = {i: c for c, cl in enumerate(classes) for i in cl.members}
    trips: list[list[Booking]] = [[] for _ in classes]
    free: list[Booking] = []
    for b in scn.bookings:
        vid = (assignment or {}).get(b.id) if fixed else b.vehicle
        if vid is not None:
            if vidx[vid] in cls_of_vehicle:
                trips[cls_of_vehicle[vidx[vid]]].append(b)
        elif not fixed:
            free.append(b)
    for lst in trips:
        lst.sort(key=lambda b: b.start_slot)
    return trips, free


def candidate_pairs(
    scn: Scenario, rep: list[Vehicle], trips: list[list[Booking]], free: list[Booking], n: int
) -> list[tuple[int, int]]:
    """(free booking, class) pairs that rule 2 allows: a shared car, plugged in by the start,
    not in maintenance, clear of the class's fixed trips by the turnaround, and able to hold
    the trip's need at all (rules 5 and 6)."""
    pairs: list[tuple[int, int]] = []
    turn = scn.min_turnaround_slots
    busy = [np.zeros(n + 1, dtype=bool) for _ in trips]
    for c, lst in enumerate(trips):
        for b in lst:
            busy[c][b.start_slot : min(n, b.end_slot + turn)] = True
            busy[c][max(0, b.start_slot - turn) : b.start_slot] = True
    for j, b in enumerate(free):
        for c in range(len(trips)):
            v = rep[c]
            if v.is_private or b.start_slot < v.plugged_in_from_slot:
                continue
            if any(b.start_slot < z and a < b.end_slot for a, z in v.unavailable):
                continue
            if busy[c][b.start_slot : min(n, b.end_slot + turn)].any():
                continue
            if trip_need_kwh(v, b, n) > v.battery_kwh + 1e-9:
                continue
            pairs.append((j, c))
    return pairs


def layout(
    scn: Scenario,
    arr: Arrays,
    mode: str,
    *,
    assignment: dict[str, str | None] | None,
    aggregate: bool,
    only: list[int] | None,
    pool_initial: int = 0,
) -> Layout:
    """The classes, trips, pairs and windows of the LP of `mode` (see `Layout`)."""
    n = arr.n
    fixed = mode == "fixed"
    classes = vehicle_classes(scn, fixed, aggregate=aggregate, only=only, pool_initial=pool_initial)
    k = np.array([cl.k for cl in classes])
    rep = [cl.rep for cl in classes]
    ci = np.array([cl.members[0] for cl in classes])
    trips, free = fixed_trips(scn, classes, fixed, assignment)
    away = np.zeros((len(classes), n))
    trip_energy = np.zeros((len(classes), n))
    for c, lst in enumerate(trips):
        for b in lst:
            away[c, b.start_slot : b.end_slot] = 1.0
            trip_energy[c, b.start_slot] += b.expected_km * rep[c].consumption_kwh_per_km
    avail = arr.avail[ci]
    pairs = candidate_pairs(scn, rep, trips, free, n)
    pair_booking = np.array([j for j, _ in pairs], dtype=np.int64)
    # the window of boundaries [plug-in, departure or end] of each class (private cars stay
    # ~10 h of a week): outside it nothing moves
    first = np.array([v.plugged_in_from_slot for v in rep], dtype=np.int64)
    last = np.array(
        [
            min(v.departure_slot, n) if v.is_private and v.departure_slot is not None else n
            for v in rep
        ],
        dtype=np.int64,
    )
    boundary = np.arange(n + 1)[None, :]
    in_window = (boundary >= first[:, None]) & (boundary <= last[:, None])
    return Layout(
        n=n,
        h=arr.h,
        fixed=fixed,
        margin=MARGIN if fixed else 0.0,
        classes=classes,
        k=k,
        rep=rep,
        cmax=arr.cmax[ci],
        dmax=arr.dmax[ci],
        eta_c=arr.eta_c[ci],
        eta_d=arr.eta_d[ci],
        battery=arr.battery[ci] * k,
        min_soc=arr.min_soc[ci] * k,
        initial=np.array([float(arr.initial[cl.members].sum()) for cl in classes]),
        avail=avail,
        trips=trips,
        free=free,
        trip_energy=trip_energy,
        plugged=avail & (away < 0.5),
        turnaround=scn.min_turnaround_slots,
        pairs=pairs,
        pair_class=np.array([c for _, c in pairs], dtype=np.int64),
        pair_booking=pair_booking,
        pair_start=np.array([free[j].start_slot for j in pair_booking], dtype=np.int64),
        pair_end=np.array([free[j].end_slot for j in pair_booking], dtype=np.int64),
        first=first,
        in_window=in_window,
        slot_in_window=in_window[:, :-1] & in_window[:, 1:],
        boundary=boundary,
    )
