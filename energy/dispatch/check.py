"""Independent validator and scorer of a plan against `shared/spec/scenario.md`.

Written from the spec alone, sharing nothing with the solver but the scenario dataclasses, so a
modelling slip in the optimiser cannot hide itself. It simulates each battery slot by slot with
the spec's piecewise efficiency (`eta_c * p * h` when charging, `p * h / eta_d` when
discharging) for the plan itself and for the two rule-8 activations (every `p - flex_up` at once,
every `p + flex_down` at once).

Tolerance: a quantity may pass its bound by at most `TOL` = 1e-6 (kWh for energy, kW for power),
absolute. The solver aims 1e-5 inside every bound so that its plans pass with room to spare.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from .plan import Plan
from .scenario import Booking, Scenario, Vehicle

TOL = 1e-6

_AWAY, _PLUGGED, _TRIP, _MAINT, _GONE = "away", "plugged", "trip", "maintenance", "departed"


@dataclass
class ScoreTerms:
    energy_cost: float = 0.0
    wear: float = 0.0
    flex_income: float = 0.0
    terminal_value: float = 0.0
    unserved_penalty: float = 0.0
    shortfall_penalty: float = 0.0
    unserved_bookings: int = 0
    shortfall_kwh: float = 0.0

    @property
    def score(self) -> float:
        return (
            self.energy_cost
            + self.wear
            - self.flex_income
            - self.terminal_value
            + self.unserved_penalty
            + self.shortfall_penalty
        )

    def as_dict(self) -> dict[str, float]:
        return {
            "score": self.score,
            "energy_cost": self.energy_cost,
            "wear": self.wear,
            "flex_income": self.flex_income,
            "terminal_value": self.terminal_value,
            "unserved_penalty": self.unserved_penalty,
            "shortfall_penalty": self.shortfall_penalty,
            "unserved_bookings": float(self.unserved_bookings),
            "shortfall_kwh": self.shortfall_kwh,
        }


@dataclass
class CheckResult:
    violations: list[str] = field(default_factory=list)
    terms: ScoreTerms = field(default_factory=ScoreTerms)

    @property
    def valid(self) -> bool:
        return not self.violations


def _status(v: Vehicle, trips: list[Booking], n: int) -> list[str]:
    """What a vehicle is doing in each slot (rule 3's list of 'not plugged in')."""
    st = [_PLUGGED] * n
    for t in range(min(v.plugged_in_from_slot, n)):
        st[t] = _AWAY
    for a, z in v.unavailable:
        for t in range(a, min(z, n)):
            if st[t] == _PLUGGED:
                st[t] = _MAINT
    for b in trips:
        for t in range(b.start_slot, b.end_slot):
            st[t] = _TRIP
    if v.is_private and v.departure_slot is not None:
        for t in range(min(v.departure_slot, n), n):
            st[t] = _GONE
    return st


def _gain(v: Vehicle, p: float, h: float) -> float:
    return v.charge_efficiency * p * h if p >= 0 else p * h / v.discharge_efficiency


@dataclass
class _Trace:
    """One battery simulation: checked boundaries with their charge, and promise charges."""

    soc: dict[int, float] = field(default_factory=dict)  # boundary -> soc, rule-5 boundaries
    at_start: dict[str, float] = field(default_factory=dict)  # booking id -> soc at start_slot
    end_soc: float | None = None  # for the terminal value, None when departed
    dep_soc: float | None = None  # private car: soc where its target is checked


def _simulate(
    v: Vehicle, trips: list[Booking], st: list[str], q: list[float], h: float, n: int
) -> _Trace:
    tr = _Trace()
    by_start = {b.start_slot: b for b in trips}
    soc = v.initial_soc_kwh
    t = v.plugged_in_from_slot
    tr.soc[t] = soc
    dep = v.departure_slot if v.is_private else None
    while t < n:
        if dep is not None and t >= dep:
            break
        b = by_start.get(t)
        if b is not None:
            tr.at_start[b.id] = soc
            soc = soc - b.expected_km * v.consumption_kwh_per_km
            t = b.end_slot
            if t < n:
                tr.soc[t] = soc  # back at the hub: a plugged-in boundary again (strict reading)
            continue
        if st[t] == _PLUGGED:
            soc += _gain(v, q[t], h)
        t += 1
        tr.soc[t] = soc
    if dep is not None:
        tr.dep_soc = soc
        tr.end_soc = soc if dep > n else None
    else:
        tr.end_soc = soc
    return tr


def _target(v: Vehicle, st: list[str], h: float, n: int) -> float:
    """min(departure target, reachable) where rule 6 checks it, moved to the end if needed."""
    assert v.departure_slot is not None and v.departure_soc_kwh is not None
    end = min(v.departure_slot, n)
    soc = v.initial_soc_kwh
    for t in range(v.plugged_in_from_slot, end):
        if st[t] == _PLUGGED:
            soc = min(v.battery_kwh, soc + v.charge_efficiency * v.max_charge_kw * h)
    target = v.departure_soc_kwh
    if v.departure_slot > n:
        target -= v.charge_efficiency * v.max_charge_kw * h * (v.departure_slot - n)
    return min(target, soc)


def check_plan(scenario: Scenario, plan: Plan) -> CheckResult:
    """Judge `plan` by rules 1-8 and, whether valid or not, compute the score terms."""
    res = CheckResult()
    viol = res.violations
    n = scenario.slots
    h = scenario.h
    vehicles = {v.id: v for v in scenario.vehicles}
    trips: dict[str, list[Booking]] = {v.id: [] for v in scenario.vehicles}

    # Rule 1: every booking served by a shared car or null; bound ones keep their car.
    for b in scenario.bookings:
        vid = plan.assignments.get(b.id, None) if b.id in plan.assignments else "<missing>"
        if vid == "<missing>":
            viol.append(f"rule 1: booking {b.id} missing from assignments")
            continue
        if vid is None:
            if b.vehicle is not None:
                viol.append(f"rule 1: booking {b.id} is bound to {b.vehicle} but left null")
            continue
        if b.vehicle is not None and vid != b.vehicle:
            viol.append(f"rule 1: booking {b.id} is bound to {b.vehicle}, plan gives {vid}")
        if vid not in vehicles or vehicles[vid].kind != "shared":
            viol.append(f"rule 1: booking {b.id} assigned to {vid}, not a shared vehicle")
            continue
        trips[vid].append(b)

    # Rule 2: no overlap, turnaround, unavailable windows, plugged_in_from_slot.
    for vid, lst in trips.items():
        v = vehicles[vid]
        lst.sort(key=lambda b: b.start_slot)
        for b in lst:
            if b.start_slot < v.plugged_in_from_slot:
                viol.append(
                    f"rule 2: vehicle {vid} booking {b.id} starts at {b.start_slot} "
                    f"before plugged_in_from_slot {v.plugged_in_from_slot}"
                )
            for a, z in v.unavailable:
                if b.start_slot < z and a < b.end_slot:
                    viol.append(
                        f"rule 2: vehicle {vid} booking {b.id} overlaps unavailable [{a}, {z})"
                    )
        for x, y in itertools.pairwise(lst):
            if y.start_slot < x.end_slot + scenario.min_turnaround_slots:
                viol.append(
                    f"rule 2: vehicle {vid} bookings {x.id} and {y.id} overlap or "
                    f"leave fewer than {scenario.min_turnaround_slots} turnaround slots"
                )

    up_all = plan.flex_up_kw or {}
    down_all = plan.flex_down_kw or {}
    any_flex = any(abs(x) > 0 for arr in (*up_all.values(), *down_all.values()) for x in arr)
    if any_flex and scenario.flexibility is None:
        viol.append("rule 8: flexibility offered but the scenario has no flexibility prices")

    sum_p = [0.0] * n
    sum_up = [0.0] * n
    sum_down = [0.0] * n
    terms = res.terms
    for v in scenario.vehicles:
        vid = v.id
        p = list(plan.power_kw.get(vid, [0.0] * n))
        fu = list(up_all.get(vid, [0.0] * n))
        fd = list(down_all.get(vid, [0.0] * n))
        st = _status(v, trips[vid], n)
        for t in range(n):
            # Rule 3 (plan and flexibility) and rule 4 (plan and both activations).
            if st[t] != _PLUGGED:
                if abs(p[t]) > TOL:
                    viol.append(
                        f"rule 3: vehicle {vid} slot {t}: power {p[t]:.6g} kW while {st[t]}"
                    )
                if fu[t] > TOL or fd[t] > TOL:
                    viol.append(f"rule 8: vehicle {vid} slot {t}: flexibility while {st[t]}")
            for label, q in (
                ("", p[t]),
                (" (all-up)", p[t] - fu[t]),
                (" (all-down)", p[t] + fd[t]),
            ):
                if q > v.max_charge_kw + TOL or q < -v.max_discharge_kw - TOL:
                    rule = "rule 4" if not label else "rule 8/4"
                    viol.append(
                        f"{rule}: vehicle {vid} slot {t}: power {q:.6g} kW outside "
                        f"[-{v.max_discharge_kw:g}, {v.max_charge_kw:g}]{label}"
                    )
            sum_p[t] += p[t]
            sum_up[t] += fu[t]
            sum_down[t] += fd[t]
            terms.wear += scenario.degradation_eur_per_kwh * h * max(-p[t], 0.0)
        traces = {}
        for label, series in (
            ("", p),
            (" (all-up)", [a - b for a, b in zip(p, fu, strict=True)]),
            (" (all-down)", [a + b for a, b in zip(p, fd, strict=True)]),
        ):
            tr = _simulate(v, trips[vid], st, series, h, n)
            traces[label] = tr
            rule5 = "rule 5" if not label else "rule 8/5"
            for bnd, soc in sorted(tr.soc.items()):
                if soc < v.min_soc_kwh - TOL:
                    viol.append(
                        f"{rule5}: vehicle {vid} boundary {bnd}: soc {soc:.6g} kWh below "
                        f"min_soc {v.min_soc_kwh:g}{label}"
                    )
                    break
            for bnd, soc in sorted(tr.soc.items()):
                if soc > v.battery_kwh + TOL:
                    viol.append(
                        f"{rule5}: vehicle {vid} boundary {bnd}: soc {soc:.6g} kWh above "
                        f"battery {v.battery_kwh:g}{label}"
                    )
                    break
            for b in trips[vid]:
                need = v.min_soc_kwh + b.promised_range_km * v.consumption_kwh_per_km
                have = tr.at_start.get(b.id)
                if have is not None and have < need - TOL:
                    rule6 = "rule 6" if not label else "rule 8/6"
                    viol.append(
                        f"{rule6}: booking {b.id} vehicle {vid} slot {b.start_slot}: "
                        f"soc {have:.6g} kWh < promise {need:.6g}{label}"
                    )
        plan_tr = traces[""]
        if v.is_private:
            target = _target(v, st, h, n)
            assert plan_tr.dep_soc is not None
            short = max(0.0, target - plan_tr.dep_soc)
            terms.shortfall_kwh += short
            up_dep = traces[" (all-up)"].dep_soc
            assert up_dep is not None
            if max(0.0, target - up_dep) > short + TOL:
                viol.append(
                    f"rule 8: private vehicle {vid}: shortfall grows from {short:.6g} to "
                    f"{target - up_dep:.6g} kWh under all-up activation"
                )
        if plan_tr.end_soc is not None:
            terms.terminal_value += scenario.terminal_value_eur_per_kwh * max(
                0.0, plan_tr.end_soc - v.min_soc_kwh
            )

    # Rule 7 for the plan and both activations; pv_used is free in [0, pv] (curtailment).
    site = scenario.site
    for t in range(n):
        base, pv = site.base_load_kw[t], site.pv_kw[t]
        imp_lim, exp_lim = site.grid_import_limit_kw[t], site.grid_export_limit_kw[t]
        for label, s in (
            ("", sum_p[t]),
            (" (all-up)", sum_p[t] - sum_up[t]),
            (" (all-down)", sum_p[t] + sum_down[t]),
        ):
            rule = "rule 7" if not label else "rule 8/7"
            # net lies in [base - pv + s, base + s] (pv_used in [0, pv]): it must meet the band
            if base - pv + s > imp_lim + TOL:
                viol.append(
                    f"{rule}: slot {t}: net import {base - pv + s:.6g} kW above the import "
                    f"limit {imp_lim:g} even using all PV{label}"
                    if imp_lim >= 0
                    else f"{rule}: slot {t}: net export {pv - base - s:.6g} kW below the "
                    f"required export {-imp_lim:g} even using all PV{label}"
                )
            if base + s < -exp_lim - TOL:
                viol.append(
                    f"{rule}: slot {t}: net export {-(base + s):.6g} kW above the export "
                    f"limit {exp_lim:g} even curtailing all PV{label}"
                    if exp_lim >= 0
                    else f"{rule}: slot {t}: net import {base + s:.6g} kW below the "
                    f"required import {-exp_lim:g} even curtailing all PV{label}"
                )
        terms.energy_cost += _slot_cost(scenario, t, sum_p[t])

    if scenario.flexibility is not None:
        f = scenario.flexibility
        terms.flex_income = sum(
            f.up_eur_per_kw[t] * sum_up[t] + f.down_eur_per_kw[t] * sum_down[t] for t in range(n)
        )
    terms.unserved_bookings = sum(
        1 for b in scenario.bookings if plan.assignments.get(b.id) is None
    )
    terms.unserved_penalty = scenario.unserved_penalty_eur * terms.unserved_bookings
    terms.shortfall_penalty = scenario.shortfall_penalty_eur_per_kwh * terms.shortfall_kwh
    return res


def _slot_cost(scenario: Scenario, t: int, s: float) -> float:
    """Cheapest energy cost of slot t over the pv_used that rule 7 allows (spec: scoring)."""
    site = scenario.site
    h = scenario.h
    pi, pe = scenario.import_eur_per_kwh[t], scenario.export_eur_per_kwh[t]
    hi = site.base_load_kw[t] + s  # pv_used = 0
    lo = hi - site.pv_kw[t]  # all PV used
    a, b = max(lo, -site.grid_export_limit_kw[t]), min(hi, site.grid_import_limit_kw[t])
    if a > b:  # rule 7 broken: score the least-bad net so the number is still informative
        a = b = min(max(lo, -site.grid_export_limit_kw[t]), hi)
    cands = [a, b] + ([0.0] if a < 0.0 < b else [])
    return min(h * (pi * max(x, 0.0) - pe * max(-x, 0.0)) for x in cands)
