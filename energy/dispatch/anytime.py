"""The anytime machinery of `solver.py`: the best checked plan so far and the run's state."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from .carlp import CarLP
from .check import CheckResult, check_plan
from .core import Arrays
from .plan import Plan, StageTime
from .ranking import key_better, plan_key
from .scenario import Scenario


@dataclass
class Best:
    """The best checked plan so far (thread-safe): every later stage can only replace it."""

    scn: Scenario
    plan: Plan | None = None
    key: tuple[float, float] | None = None
    stage: str = ""
    result: CheckResult | None = None  # the checker's verdict on `plan`
    lock: threading.Lock = field(default_factory=threading.Lock)

    def offer(self, plan: Plan, stage: str, chk: CheckResult) -> bool:
        key = plan_key(self.scn, plan, chk)
        if key is None:
            return False
        with self.lock:
            if self.key is not None and not key_better(key, self.key):
                return False
            self.plan, self.key, self.stage, self.result = plan, key, stage, chk
        return True


@dataclass
class Run:
    scn: Scenario
    arr: Arrays
    best: Best
    stop_at: float
    solver: str
    cancel: threading.Event
    began: float  # perf_counter() when the solve began
    stages: list[StageTime] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flex_note: str = ""
    warm: dict[str, str] | None = None  # booking id -> the previous plan's car
    helpers: list[threading.Thread] = field(default_factory=list)  # stages run alongside
    car_lps: dict[int, CarLP] = field(default_factory=dict)  # built by the search, reused

    def left(self) -> float:
        return self.stop_at - time.perf_counter()

    def stopped(self) -> bool:
        return self.cancel.is_set() or self.left() <= 0.05

    def stage(self, name: str, began: float, outcome: str) -> None:
        self.stages.append(StageTime(name, round(time.perf_counter() - began, 3), outcome))

    def offer(self, plan: Plan | None, name: str) -> str:
        return self.offer_checked(plan, name)[0]

    def offer_checked(self, plan: Plan | None, name: str) -> tuple[str, CheckResult | None]:
        """The outcome for the stage account, and the checker's verdict (run once)."""
        if plan is None:
            return "no plan", None
        chk = check_plan(self.scn, plan)
        return ("improved" if self.best.offer(plan, name, chk) else "not better"), chk
