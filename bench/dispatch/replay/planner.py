"""Our planner as an ACN-Sim algorithm: every period the cars plugged in become a
``v2g-hub-scenario/1`` document (``scenario_document``), ``manage.py plan_scenario`` plans it in a
subprocess, ``check_plan`` checks the plan and its first slot becomes each charge point's pilot;
``DeclaredInterface`` shows the algorithms the declared departure only. The ACN-Sim classes are
built lazily (``make_planner_algo``), so importing this module needs no acnportal.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.dispatch.replay.sessions import (
    MAX_AMPS,
    MAX_KW,
    SLOT,
    VOLTAGE,
    Replay,
    ReplaySession,
    stay_share,
)

PLAN_TIME_LIMIT = 10.0
SLOT_HOURS = SLOT.total_seconds() / 3600


@dataclass
class PlannerStats:
    walls: list[float] = field(default_factory=list)  # seconds per plan_scenario call
    invalid_plans: int = 0
    first_violation: str | None = None
    scaled_periods: int = 0  # periods where the plan's first slot was scaled to the limit
    retries: int = 0  # plan_scenario runs that failed once and were run again
    retry_reasons: list[str] = field(default_factory=list)


def scenario_document(
    replay: Replay,
    *,
    now: int,
    cars: Sequence[tuple[ReplaySession, float, float]],
    limit_kw: float,
    oracle: bool = False,
) -> dict[str, Any]:
    """The v2g-hub-scenario/1 document at slot `now` of the cars plugged in, each given as
    (session, charge now kWh, energy still requested kWh); `oracle` uses actual departures."""
    ends = [(s.departure if oracle else s.declared) - now for s, _, _ in cars]
    n = max([1, *ends])
    prices = [replay.prices[min(now + t, len(replay.prices) - 1)] for t in range(n)]
    vehicles = [
        {
            "id": s.session_id,
            "kind": "private",
            "battery_kwh": s.battery_kwh,
            "initial_soc_kwh": round(soc, 4),
            "min_soc_kwh": 0.0,
            "max_charge_kw": MAX_KW,
            "max_discharge_kw": 0.0,
            "charge_efficiency": 1.0,
            "discharge_efficiency": 1.0,
            "consumption_kwh_per_km": 0.18,
            "plugged_in_from_slot": 0,
            "unavailable": [],
            "departure_slot": end,
            "departure_soc_kwh": round(min(s.battery_kwh, soc + need), 4),
        }
        for (s, soc, need), end in zip(cars, ends, strict=True)
    ]
    return {
        "format": "v2g-hub-scenario/1",
        "name": f"replay-{replay.seed}-slot-{now}",
        "timezone": "Europe/Amsterdam",
        "start": (replay.price_start_utc + now * SLOT).isoformat(),
        "slot_minutes": 15,
        "slots": n,
        "site": {
            "grid_import_limit_kw": limit_kw,
            "grid_export_limit_kw": 0.0,
            "base_load_kw": [0.0] * n,
            "pv_kw": [0.0] * n,
        },
        "prices": {"import_eur_per_kwh": prices, "export_eur_per_kwh": prices},
        "degradation_eur_per_kwh": 0.0,
        "terminal_value_eur_per_kwh": 0.0,
        "vehicles": vehicles,
        "bookings": [],
    }


def plan_scenario_flags(project_root: Path) -> set[str]:
    """The options the shipped `plan_scenario` accepts (read from its --help)."""
    out = subprocess.run(
        [sys.executable, "manage.py", "plan_scenario", "--help"],
        cwd=project_root,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return {w.strip("[],") for w in out.split() if w.startswith(("--", "[--"))}


def make_planner_algo(base: type, interface_base: type) -> tuple[type, type]:
    """Build the ACN-Sim classes lazily, so that importing this module needs no acnportal."""

    class DeclaredInterface(interface_base):
        """ACN-Sim's interface with the declared departure in place of the actual one."""

        def _active_sessions(self) -> list[Any]:
            from acnportal.acnsim.interface import SessionInfo

            return [
                SessionInfo(
                    ev.station_id,
                    ev.session_id,
                    ev.requested_energy,
                    ev.energy_delivered,
                    ev.arrival,
                    ev.estimated_departure,
                    ev.estimated_departure,
                    self.current_time,
                )
                for ev in self._active_evs
            ]

    class PlanScenarioAlgo(base):
        """Every period: the plugged-in cars as a scenario, `plan_scenario` as a subprocess,
        the plan's first slot as the pilot of each car's charge point."""

        def __init__(
            self,
            replay: Replay,
            limit_kw: float,
            project_root: Path,
            extra_args: Sequence[str] = (),
            oracle: bool = False,
            history: Sequence[float] | None = None,
        ) -> None:
            super().__init__()
            self.max_recompute = 1
            self.replay = replay
            self.limit_kw = limit_kw
            self.project_root = project_root
            self.extra_args = list(extra_args)
            self.oracle = oracle
            # "ours-history": the hub's record of stays (actual / declared), as plan_hub has
            # it; the sessions of this replay join it as their cars leave
            self.history = None if history is None else list(history)
            self.seen_leaving: set[str] = set()
            self.by_id = {s.session_id: s for s in replay.sessions}
            self.stats = PlannerStats()

        def _likely(
            self, now: int, cars: Sequence[tuple[ReplaySession, float, float]]
        ) -> dict[str, int]:
            """{session: likely departure slot from `now`}, as `energy.departures` makes them
            for `plan_hub`: plug-in + the learned share of the declared stay; a car still here
            after it is overdue: as soon as charging flat out gets it there."""
            from energy.departures import MIN_HUB_SESSIONS
            from energy.dispatch.core import LIKELY_STAY_SHARE, learned_stay_share

            assert self.history is not None
            for s in self.replay.sessions:
                if s.departure <= now and s.session_id not in self.seen_leaving:
                    self.seen_leaving.add(s.session_id)
                    self.history.append(stay_share(s))
            share = learned_stay_share(self.history, MIN_HUB_SESSIONS) or LIKELY_STAY_SHARE
            out: dict[str, int] = {}
            for s, _soc, need in cars:
                likely = s.arrival + math.floor(share * (s.declared - s.arrival))
                if likely <= now:
                    likely = now + math.ceil(need / (MAX_KW * SLOT_HOURS) - 1e-9)
                out[s.session_id] = max(1, likely - now)
            return out

        def _plan(self, doc: dict[str, Any], likely: dict[str, int] | None = None) -> str:
            """The plan `plan_scenario` writes for `doc`; one retry after a failed run (the
            tree is shared: another engineer's half-saved file may break one process start),
            counted in the stats; a second failure stops the replay."""
            with tempfile.TemporaryDirectory(prefix="ws-replay-") as tmp:
                src, out = Path(tmp) / "scenario.json", Path(tmp) / "plan.json"
                src.write_text(json.dumps(doc), encoding="utf-8")
                extra = list(self.extra_args)
                if likely is not None:
                    side = Path(tmp) / "likely.json"
                    side.write_text(json.dumps(likely), encoding="utf-8")
                    extra += ["--likely-departures", str(side)]
                for attempt in (1, 2):
                    t = time.perf_counter()
                    proc = subprocess.run(  # noqa: S603
                        [
                            sys.executable,
                            "manage.py",
                            "plan_scenario",
                            str(src),
                            "--out",
                            str(out),
                            "--time-limit",
                            str(PLAN_TIME_LIMIT),
                            *extra,
                        ],
                        cwd=self.project_root,
                        capture_output=True,
                        text=True,
                        check=False,
                    )
                    wall = time.perf_counter() - t
                    if proc.returncode == 0 and out.exists():
                        self.stats.walls.append(wall)
                        return out.read_text(encoding="utf-8")
                    reason = (proc.stderr.strip().splitlines() or ["no output"])[-1]
                    if attempt == 2:
                        raise RuntimeError(f"plan_scenario exited {proc.returncode}: {reason}")
                    self.stats.retries += 1
                    self.stats.retry_reasons.append(reason)
            raise AssertionError("unreachable")

        def schedule(self, active_sessions: list[Any]) -> dict[str, list[float]]:
            from energy.dispatch.check import check_plan
            from energy.dispatch.parse import parse_scenario
            from energy.dispatch.plan import parse_plan_text

            live = [a for a in active_sessions if a.remaining_demand > 1e-3]
            if not live:
                return {}
            now = int(self.interface.current_time)
            cars = []
            for a in live:
                s = self.by_id[a.session_id]
                cars.append((s, s.initial_kwh + a.energy_delivered, a.remaining_demand))
            doc = scenario_document(
                self.replay, now=now, cars=cars, limit_kw=self.limit_kw, oracle=self.oracle
            )
            likely = None if self.history is None else self._likely(now, cars)
            text = self._plan(doc, likely)
            scn = parse_scenario(doc)
            plan = parse_plan_text(text, scn)
            result = check_plan(scn, plan)
            if result.violations:
                self.stats.invalid_plans += 1
                self.stats.first_violation = self.stats.first_violation or result.violations[0]
            amps: dict[str, float] = {}
            for a in live:
                kw = plan.power_kw[a.session_id][0]
                cap = min(MAX_AMPS, self.interface.remaining_amp_periods(a))
                amps[a.station_id] = max(0.0, min(cap, kw * 1000.0 / VOLTAGE))
            total = sum(amps.values())
            limit_a = self.limit_kw * 1000.0 / VOLTAGE
            if total > limit_a:
                # JSON rounding of a plan at the limit; counted so it shows if it is ever more
                self.stats.scaled_periods += 1
                amps = {k: v * limit_a / total for k, v in amps.items()}
            return {k: [v] for k, v in amps.items()}

    return DeclaredInterface, PlanScenarioAlgo
