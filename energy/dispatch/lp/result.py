"""The LP's result, its exported model, and the prices and penalties the LP uses."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..core import Arrays, FloatArr
from .builder import IntArr

# Cost per kWh of a missed promise in the fixed-assignment LP: far above any energy price, so the
# LP keeps every promise it can, and a positive slack marks a booking the grid cannot feed.
PROMISE_SLACK_EUR = 1.0e4
GRID_SLACK_EUR = 1.0e4
FAIRNESS_SHARE = 0.01


@dataclass
class LPResult:
    status: str
    solver: str
    seconds: float
    objective: float | None  # includes the constant terms: comparable to the spec's score
    bound: float | None
    c: FloatArr = field(default_factory=lambda: np.zeros((0, 0)))
    d: FloatArr = field(default_factory=lambda: np.zeros((0, 0)))
    fu: FloatArr = field(default_factory=lambda: np.zeros((0, 0)))
    fd: FloatArr = field(default_factory=lambda: np.zeros((0, 0)))
    promise_slack: dict[str, float] = field(default_factory=dict)
    grid_slack: float = 0.0
    # fixed mode: kW per slot by which the LP had to leave rule 7's band (0 where it is kept)
    band_slack: FloatArr = field(default_factory=lambda: np.zeros(0))
    assignment: dict[str, str | None] = field(default_factory=dict)
    variables: int = 0
    constraints: int = 0
    # fixed mode: marginal cost of one more kW of net power per slot (dual of the grid row,
    # EUR per kW and slot); NaN where the row was left out (`decompose.py`)
    grid_dual: FloatArr = field(default_factory=lambda: np.zeros(0))
    # relaxed / integer modes: booking id -> {vehicle id: share of x} over candidate pairs
    x_share: dict[str, dict[str, float]] = field(default_factory=dict)
    # `build_and_solve(..., export=True)`: the model, not solved
    exported: LPExport | None = None


@dataclass(frozen=True)
class LPExport:
    """The assembled model of a fixed LP and the index grids `CarLP` changes bounds through
    (-1 where a cell has no column or row; floor and cap rows only with flexibility)."""

    lb: FloatArr
    ub: FloatArr
    obj: FloatArr
    row_lo: FloatArr
    row_hi: FloatArr
    matrix: sp.csr_matrix
    const: float
    power: list[IntArr]  # c, d, and with flexibility fu, fd: zero while the car is away
    soc: IntArr
    balance: IntArr  # each slot's battery balance row, whose right-hand side takes a trip
    floor_row: IntArr | None
    cap_row: IntArr | None


def fixed_prices(arr: Arrays) -> tuple[FloatArr, FloatArr]:
    """Import / export prices of the fixed LP. Where export pays more than import the true cost
    is concave in net; both directions get one price there (an upper bound of the true cost), so
    the LP cannot exploit it."""
    imp_p, exp_p = arr.imp.copy(), arr.exp.copy()
    odd = exp_p > imp_p
    one = np.where(arr.base >= arr.pv, imp_p, exp_p)
    return np.where(odd, one, imp_p), np.where(odd, one, exp_p)
