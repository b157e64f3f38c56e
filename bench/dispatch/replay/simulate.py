"""Running one algorithm over the replay in ACN-Sim under one aggregate limit and scoring it:
energy delivered, demands met (early leavers and the others apart), cost at the day-ahead price,
peak power against the limit, ACN-Sim's invalid-schedule warnings and, for our planner, its
call times and failed plans (``run_algorithm`` -> ``Result``); ``HEADER`` and ``format_row`` are
the printed table.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.dispatch.replay.planner import PlannerStats, make_planner_algo
from bench.dispatch.replay.sessions import MAX_AMPS, MAX_KW, VOLTAGE, H, Replay

MET_RELATIVE, MET_ABSOLUTE = 0.01, 0.1  # a demand is met within 1 % or 0.1 kWh

ALGORITHMS = ("edf", "llf", "ours", "ours-history", "ours-declared", "ours-oracle")
LABELS = {
    "edf": "EDF (acnportal)",
    "llf": "LLF (acnportal)",
    "ours": "ours (plan_scenario)",
    "ours-history": "ours (hub history)",
    "ours-declared": "ours (declared only)",
    "ours-oracle": "ours (told actual)",
}


@dataclass(frozen=True)
class Result:
    algorithm: str
    limit_kw: float
    sessions: int
    requested_kwh: float
    delivered_kwh: float
    met: int
    cost_eur: float
    peak_kw: float
    over_limit_periods: int
    schedule_warnings: int
    over_request_kwh: float  # largest energy delivered beyond a session's request
    early_sessions: int = 0  # sessions whose driver leaves before the declared time
    early_met: int = 0
    planner: PlannerStats | None = None
    # (session, kWh requested, kWh delivered) of the demands not met
    unmet: tuple[tuple[str, float, float], ...] = ()

    @property
    def delivered_share(self) -> float:
        return self.delivered_kwh / self.requested_kwh if self.requested_kwh else 1.0

    @property
    def met_share(self) -> float:
        return self.met / self.sessions if self.sessions else 1.0

    @property
    def eur_per_kwh(self) -> float:
        return self.cost_eur / self.delivered_kwh if self.delivered_kwh else 0.0


def run_algorithm(
    replay: Replay,
    algorithm: str,
    limit_kw: float,
    *,
    project_root: Path,
    history: list[float] | None = None,
) -> Result:
    """Replay every session of `replay` in ACN-Sim under `algorithm` with one aggregate limit."""
    from acnportal import acnsim
    from acnportal.algorithms import (
        BaseAlgorithm,
        SortedSchedulingAlgo,
        earliest_deadline_first,
        least_laxity_first,
    )

    declared_interface, planner_algo = make_planner_algo(BaseAlgorithm, acnsim.Interface)
    network = acnsim.ChargingNetwork()
    for sid in replay.stations:
        network.register_evse(acnsim.EVSE(sid, max_rate=MAX_AMPS), VOLTAGE, 0)
    network.add_constraint(
        acnsim.Current(list(replay.stations)), limit_kw * 1000.0 / VOLTAGE, name="grid"
    )
    events = acnsim.EventQueue(
        [
            acnsim.PluginEvent(
                s.arrival,
                acnsim.EV(
                    s.arrival,
                    s.departure,
                    s.requested_kwh,
                    s.station_id,
                    s.session_id,
                    acnsim.Battery(s.battery_kwh, s.initial_kwh, MAX_KW),
                    estimated_departure=s.declared,
                ),
            )
            for s in replay.sessions
        ]
    )
    planner: Any = None
    scheduler: Any
    if algorithm == "edf":
        scheduler = SortedSchedulingAlgo(earliest_deadline_first)
    elif algorithm == "llf":
        scheduler = SortedSchedulingAlgo(least_laxity_first)
    elif algorithm in ("ours", "ours-history", "ours-declared", "ours-oracle"):
        extra = ["--likely-stay-share", "1"] if algorithm == "ours-declared" else []
        planner = planner_algo(
            replay,
            limit_kw,
            project_root,
            extra,
            oracle=algorithm == "ours-oracle",
            history=(history or []) if algorithm == "ours-history" else None,
        )
        scheduler = planner
    else:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    sim = acnsim.Simulator(
        network,
        scheduler,
        events,
        replay.start_utc,
        period=15,
        verbose=False,
        interface_type=declared_interface,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.run()
    invalid = sum(1 for w in caught if "Invalid schedule" in str(w.message))
    power = acnsim.aggregate_power(sim)  # kW per period
    over = int((power > limit_kw * (1 + 1e-6) + 1e-6).sum())
    cost = float(
        sum(p * H * replay.prices[min(k, len(replay.prices) - 1)] for k, p in enumerate(power))
    )
    evs = list(sim.ev_history.values())
    early = {s.session_id for s in replay.sessions if s.early}
    met_ids = {
        ev.session_id
        for ev in evs
        if ev.requested_energy - ev.energy_delivered
        <= max(MET_RELATIVE * ev.requested_energy, MET_ABSOLUTE)
    }
    met = len(met_ids)
    return Result(
        algorithm=algorithm,
        limit_kw=limit_kw,
        sessions=len(evs),
        requested_kwh=sum(ev.requested_energy for ev in evs),
        delivered_kwh=sum(ev.energy_delivered for ev in evs),
        met=met,
        cost_eur=cost,
        peak_kw=float(power.max()) if len(power) else 0.0,
        over_limit_periods=over,
        schedule_warnings=invalid,
        over_request_kwh=max((ev.energy_delivered - ev.requested_energy for ev in evs), default=0),
        early_sessions=sum(1 for ev in evs if ev.session_id in early),
        early_met=len(met_ids & early),
        planner=planner.stats if planner is not None else None,
        unmet=tuple(
            (ev.session_id, ev.requested_energy, ev.energy_delivered)
            for ev in evs
            if ev.session_id not in met_ids
        ),
    )


HEADER = (
    "limit kW",
    "algorithm",
    "sessions",
    "energy %",
    "met %",
    "met % early / on time",
    "EUR/kWh",
    "peak kW",
    "over limit",
    "planner s mean/max (calls)",
    "invalid plans",
)


def format_row(r: Result) -> str:
    plan = "-"
    invalid = "-"
    if r.planner is not None:
        w = r.planner.walls
        plan = f"{sum(w) / len(w):.2f} / {max(w):.2f} ({len(w)})" if w else "- (0)"
        invalid = str(r.planner.invalid_plans)
    cells = (
        f"{r.limit_kw:g}",
        LABELS[r.algorithm],
        str(r.sessions),
        f"{100 * r.delivered_share:.1f}",
        f"{100 * r.met_share:.1f}",
        f"{_pct(r.early_met, r.early_sessions)} / "
        f"{_pct(r.met - r.early_met, r.sessions - r.early_sessions)}",
        f"{r.eur_per_kwh:.4f}",
        f"{r.peak_kw:.2f}",
        str(r.over_limit_periods + r.schedule_warnings),
        plan,
        invalid,
    )
    return " | ".join(cells)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}" if whole else "-"
