"""Step 2 of the decomposition: one sparse linear programme for power, charge, grid and flexibility.

Modules: `builder` (columns, rows, one sparse matrix, the solver call), `layout` (vehicle
classes, trips, candidate pairs, windows), `rules` (one helper per rule of the model),
`flex` (rule 8), `build` (`build_and_solve`: the rules in order, the solve, the solution),
`result` (the result and the fixed LP's prices). The same model serves three purposes (see
`energy.dispatch.model` for the full model):

``fixed``    the assignment is data; this is the dispatcher's LP (HiGHS, else GLOP/PDLP).
``relaxed``  x[booking, vehicle class] in [0, 1]: the LP relaxation of the whole problem, a valid
             lower bound on any plan's score (used by the benchmark's captured share).
``integer``  x binary, one class per vehicle: the exact MILP used by the tests on tiny instances.

Variables live on dense (vehicle, slot) grids and the matrix is assembled from numpy index
arrays into one `scipy.sparse.csr_matrix`, then handed to OR-Tools' model builder in one call
(`fill_model_from_sparse_data`): building 500 000 variables costs well under a second.
"""

from __future__ import annotations

from .build import build_and_solve
from .builder import INF, Builder, IntArr
from .result import (
    FAIRNESS_SHARE,
    GRID_SLACK_EUR,
    PROMISE_SLACK_EUR,
    LPResult,
    fixed_prices,
)

__all__ = [
    "FAIRNESS_SHARE",
    "GRID_SLACK_EUR",
    "INF",
    "PROMISE_SLACK_EUR",
    "Builder",
    "IntArr",
    "LPResult",
    "build_and_solve",
    "fixed_prices",
]
