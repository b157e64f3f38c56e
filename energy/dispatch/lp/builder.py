"""Columns, rows and COO triplets on numpy index grids, one sparse matrix, one solver call."""

from __future__ import annotations

import os
import threading

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from ortools.linear_solver.python import model_builder_helper as mbh

from ..core import FloatArr

IntArr = NDArray[np.int64]
INF = np.inf

# The solver call running in each thread, so that a deadline can stop it from another thread
# (`interrupt`): HiGHS honours its own time limit only between iterations, and some phases
# (presolve, crossover) overrun it.
_RUNNING: dict[int, mbh.ModelSolverHelper] = {}
_RUNNING_LOCK = threading.Lock()


def interrupt(thread_id: int | None) -> bool:
    """Stop the solver call running in thread `thread_id`, if any; True if one was stopped."""
    with _RUNNING_LOCK:
        sol = _RUNNING.get(thread_id) if thread_id is not None else None
    if sol is None:
        return False
    sol.interrupt_solve()
    return True


class Builder:
    """Collects columns and COO triplets; every method takes numpy arrays."""

    def __init__(self) -> None:
        self.lb: list[FloatArr] = []
        self.ub: list[FloatArr] = []
        self.obj: list[FloatArr] = []
        self.nvar = 0
        self.r: list[IntArr] = []
        self.c: list[IntArr] = []
        self.v: list[FloatArr] = []
        self.rlo: list[FloatArr] = []
        self.rhi: list[FloatArr] = []
        self.nrow = 0
        self.integer: list[IntArr] = []
        self.over_lb: list[tuple[IntArr, FloatArr]] = []
        self.over_ub: list[tuple[IntArr, FloatArr]] = []
        self.over_obj: list[tuple[IntArr, FloatArr]] = []

    def var(
        self,
        shape: tuple[int, ...],
        lb: float | FloatArr,
        ub: float | FloatArr,
        obj: float | FloatArr = 0.0,
        active: NDArray[np.bool_] | None = None,
    ) -> IntArr:
        """Columns for the `active` cells of `shape`; inactive cells get index -1 (value 0)."""
        act = np.ones(shape, dtype=bool) if active is None else np.broadcast_to(active, shape)
        size = int(act.sum())
        idx = np.full(shape, -1, dtype=np.int64)
        idx[act] = np.arange(self.nvar, self.nvar + size, dtype=np.int64)
        for store, val in ((self.lb, lb), (self.ub, ub), (self.obj, obj)):
            store.append(np.broadcast_to(np.asarray(val, dtype=float), shape)[act].copy())
        self.nvar += size
        return idx

    def set_bounds(self, idx: IntArr, lb: float | FloatArr, ub: float | FloatArr) -> None:
        self.over_lb.append((idx.ravel(), np.broadcast_to(lb, idx.shape).ravel()))
        self.over_ub.append((idx.ravel(), np.broadcast_to(ub, idx.shape).ravel()))

    def add_obj(self, idx: IntArr, value: float | FloatArr) -> None:
        self.over_obj.append((idx.ravel(), np.broadcast_to(value, idx.shape).ravel()))

    def rows(self, count: int, lo: float | FloatArr, hi: float | FloatArr) -> IntArr:
        idx = np.arange(self.nrow, self.nrow + count, dtype=np.int64)
        self.rlo.append(np.broadcast_to(np.asarray(lo, dtype=float), (count,)).copy())
        self.rhi.append(np.broadcast_to(np.asarray(hi, dtype=float), (count,)).copy())
        self.nrow += count
        return idx

    def rows_on(
        self, active: NDArray[np.bool_], lo: float | FloatArr, hi: float | FloatArr
    ) -> IntArr:
        """Rows for the active cells of a grid; -1 elsewhere (coefficients there are dropped)."""
        idx = np.full(active.shape, -1, dtype=np.int64)
        idx[active] = self.rows(
            int(active.sum()),
            np.broadcast_to(np.asarray(lo, dtype=float), active.shape)[active],
            np.broadcast_to(np.asarray(hi, dtype=float), active.shape)[active],
        )
        return idx

    def coef(self, r: IntArr | int, c: IntArr | int, v: float | FloatArr) -> None:
        rr, cc, vv = np.broadcast_arrays(
            np.asarray(r, dtype=np.int64), np.asarray(c, dtype=np.int64), np.asarray(v, dtype=float)
        )
        keep = (cc >= 0) & (rr >= 0)  # an inactive column is a variable fixed at 0
        self.r.append(rr[keep])
        self.c.append(cc[keep])
        self.v.append(vv[keep])

    def assemble(self) -> tuple[FloatArr, FloatArr, FloatArr, FloatArr, FloatArr, sp.csr_matrix]:
        """Column bounds, objective, row bounds and the matrix, with every override applied."""
        lb = np.concatenate(self.lb)
        ub = np.concatenate(self.ub)
        obj = np.concatenate(self.obj)
        for i, val in self.over_lb:
            m = i >= 0
            lb[i[m]] = val[m]
        for i, val in self.over_ub:
            m = i >= 0
            ub[i[m]] = val[m]
        for i, val in self.over_obj:
            m = i >= 0
            np.add.at(obj, i[m], val[m])
        rlo = np.concatenate(self.rlo) if self.rlo else np.zeros(0)
        rhi = np.concatenate(self.rhi) if self.rhi else np.zeros(0)
        r = np.concatenate(self.r) if self.r else np.zeros(0, dtype=np.int64)
        c = np.concatenate(self.c) if self.c else np.zeros(0, dtype=np.int64)
        v = np.concatenate(self.v) if self.v else np.zeros(0)
        keep = v != 0.0
        mat = sp.csr_matrix((v[keep], (r[keep], c[keep])), shape=(self.nrow, self.nvar))
        mat.sum_duplicates()
        mat.data[np.abs(mat.data) < 1e-12] = 0.0  # cancellations, e.g. -eta h + eta h
        mat.eliminate_zeros()
        return lb, ub, obj, rlo, rhi, mat

    def solve(
        self, solver: str, time_limit: float, params: str = ""
    ) -> tuple[str, float | None, float | None, FloatArr | None, FloatArr | None]:
        lb, ub, obj, rlo, rhi, mat = self.assemble()
        model = mbh.ModelBuilderHelper()
        model.fill_model_from_sparse_data(lb, ub, obj, rlo, rhi, mat)  # type: ignore[arg-type]
        for block in self.integer:
            for col in block.ravel():
                model.set_var_integrality(int(col), True)
        sol = mbh.ModelSolverHelper(solver)
        log = bool(os.environ.get("DISPATCH_SOLVER_LOG"))
        sol.enable_output(log)
        params = os.environ.get("DISPATCH_SOLVER_PARAMS", params).replace(";", "\n")
        if solver == "highs" and not log:
            # HiGHS prints its banner on stdout even with output off, unless told here
            params = "\n".join(p for p in (params, "output_flag=false") if p)
        if params:
            sol.set_solver_specific_parameters(params)
        sol.set_time_limit_in_seconds(max(0.05, time_limit))
        me = threading.get_ident()
        with _RUNNING_LOCK:
            _RUNNING[me] = sol
        try:
            sol.solve(model)
        finally:
            with _RUNNING_LOCK:
                _RUNNING.pop(me, None)
        status = sol.status().name
        if not sol.has_solution():
            return status, None, None, None, None
        bound: float | None
        try:
            bound = float(sol.best_objective_bound())
        except Exception:
            bound = None
        duals: FloatArr | None
        try:
            # OR-Tools 9.15's HiGHS wrapper returns row activities as duals: GLOP only
            duals = np.asarray(sol.dual_values()) if solver == "glop" and not self.integer else None
        except Exception:
            duals = None
        return (
            status,
            float(sol.objective_value()),
            bound,
            np.asarray(sol.variable_values()),
            duals,
        )
