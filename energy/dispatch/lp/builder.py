"""Columns, rows and COO triplets on numpy index grids, one sparse matrix, one solver call."""

from __future__ import annotations

import threading

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from ortools.linear_solver.python import model_builder_helper as mbh

from ..core import FloatArr
from .calls import HighsCall, OrtoolsCall, Result

Call = HighsCall | OrtoolsCall

IntArr = NDArray[np.int64]
INF = np.inf

# The solver call running in each thread, so that a deadline can stop it from another thread
# (`interrupt`): HiGHS honours its own time limit only between iterations, and some phases
# (presolve, crossover) overrun it.
# (a portfolio runs several solver calls for one thread).
_RUNNING: dict[int, list[Call]] = {}
_RUNNING_LOCK = threading.Lock()


def interrupt(thread_id: int | None) -> bool:
    """Stop the solver calls running for thread `thread_id`, if any; True if one was stopped."""
    with _RUNNING_LOCK:
        sols = list(_RUNNING.get(thread_id, ())) if thread_id is not None else []
    for sol in sols:
        sol.interrupt_solve()
    return bool(sols)


def _register(owner: int, sol: Call) -> None:
    with _RUNNING_LOCK:
        _RUNNING.setdefault(owner, []).append(sol)


def _unregister(owner: int, sol: Call) -> None:
    with _RUNNING_LOCK:
        sols = _RUNNING.get(owner, [])
        if sol in sols:
            sols.remove(sol)
        if not sols:
            _RUNNING.pop(owner, None)


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

    def _model(self) -> mbh.ModelBuilderHelper:
        lb, ub, obj, rlo, rhi, mat = self.assemble()
        model = mbh.ModelBuilderHelper()
        model.fill_model_from_sparse_data(lb, ub, obj, rlo, rhi, mat)  # type: ignore[arg-type]
        for block in self.integer:
            for col in block.ravel():
                model.set_var_integrality(int(col), True)
        return model

    def _call(self, solver: str, time_limit: float, params: str) -> Call:
        """HiGHS on an LP through highspy (stoppable at once), anything else through OR-Tools."""
        if solver == "highs" and not self.integer:
            lb, ub, obj, rlo, rhi, mat = self.assemble()
            return HighsCall(lb, ub, obj, rlo, rhi, mat, time_limit=time_limit, params=params)
        return OrtoolsCall(
            self._model(), solver, time_limit=time_limit, params=params, integer=bool(self.integer)
        )

    def solve(self, solver: str, time_limit: float, params: str = "") -> Result:
        call = self._call(solver, time_limit, params)
        me = threading.get_ident()
        _register(me, call)
        try:
            call.run()
        finally:
            _unregister(me, call)
        return call.result()

    def solve_portfolio(self, solver: str, time_limit: float, portfolio: tuple[str, ...]) -> Result:
        """The same LP under each parameter set of `portfolio` at once, one thread each: the
        first to prove optimality wins and the others are stopped (no one algorithm is fastest
        on every LP: HiGHS' dual simplex took 0.6 s on d2 where its interior point took 2.1,
        and 36 s on `af` where the interior point took 8). Without an optimum by the time
        limit, the best feasible answer of any."""
        if len(portfolio) < 2:
            return self.solve(solver, time_limit, portfolio[0] if portfolio else "")
        me = threading.get_ident()
        calls = [self._call(solver, time_limit, p) for p in portfolio]
        for call in calls:
            _register(me, call)
        winner: list[int] = []
        lock = threading.Lock()

        def run(k: int) -> None:
            try:
                calls[k].run()
            finally:
                with lock:
                    if calls[k].optimal() and not winner:
                        winner.append(k)
                        for j, other in enumerate(calls):
                            if j != k:
                                other.interrupt_solve()

        threads = [
            threading.Thread(target=run, args=(k,), name=f"lp-{k}", daemon=True)
            for k in range(len(calls))
        ]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            for call in calls:
                _unregister(me, call)
        if winner:
            return calls[winner[0]].result()
        results = [c.result() for c in calls]
        feasible = [r for r in results if r[1] is not None]
        if not feasible:
            return results[0]
        return min(feasible, key=lambda r: float(r[1] or 0.0))
