"""A run of the sweep and its result."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
OVERRUN_S = 1.0


@dataclass
class Run:
    name: str
    doc: Any  # a scenario document, or the raw text of a broken one (str)
    limit: float
    expect: str = ""  # valid | unkept | either | error; "" = work it out from the band


@dataclass
class Result:
    name: str
    limit: float
    expect: str
    slots: int
    vehicles: int
    bookings: int
    code: int = -1
    wall: float = 0.0
    check: str = ""  # valid | unkept | N violation(s) | -
    failures: list[str] = dataclasses.field(default_factory=list)
    detail: list[str] = dataclasses.field(default_factory=list)


# -- building the runs ---------------------------------------------------------------------------
