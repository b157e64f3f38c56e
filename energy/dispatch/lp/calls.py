"""One solver call on an assembled LP, that another thread can stop at once.

`HighsCall` runs HiGHS through `highspy` with its interrupt callbacks on, so `interrupt_solve()`
stops simplex and interior point within an iteration. OR-Tools' `ModelSolverHelper` was measured
not to: its `interrupt_solve()` on a HiGHS solve of `af` (124 cars with flexibility) returned
after 36.7 s instead of at once, so a stage stopped at the deadline kept a core busy for half a
minute. `OrtoolsCall` stays for GLOP (its duals), PDLP and the integer programs.

Both give `run()`, `interrupt_solve()`, `optimal()` and `result()`: (status, objective, bound,
solution, duals), the status named as OR-Tools names it ("OPTIMAL", "FEASIBLE", ...).
"""

from __future__ import annotations

import os

import highspy
import numpy as np
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder_helper as mbh

from .._quiet import quiet_first_highs
from ..core import FloatArr

Result = tuple[str, float | None, float | None, FloatArr | None, FloatArr | None]


def _params(params: str) -> list[tuple[str, str]]:
    """ "key value" or "key=value" lines (";" also separates), the environment's override first
    (`DISPATCH_SOLVER_PARAMS`)."""
    text = os.environ.get("DISPATCH_SOLVER_PARAMS", params).replace(";", "\n")
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        key, _, value = line.replace("=", " ", 1).partition(" ")
        out.append((key.strip(), value.strip()))
    return out


def _typed(value: str) -> bool | int | float | str:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


_STATUS = {
    highspy.HighsModelStatus.kOptimal: "OPTIMAL",
    highspy.HighsModelStatus.kInfeasible: "INFEASIBLE",
    highspy.HighsModelStatus.kUnbounded: "UNBOUNDED",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "INFEASIBLE_OR_UNBOUNDED",
    highspy.HighsModelStatus.kTimeLimit: "TIME_LIMIT",
    highspy.HighsModelStatus.kInterrupt: "CANCELLED_BY_USER",
    highspy.HighsModelStatus.kIterationLimit: "ITERATION_LIMIT",
}


class HighsCall:
    """An LP (no integers) solved by HiGHS through highspy."""

    def __init__(
        self,
        lb: FloatArr,
        ub: FloatArr,
        obj: FloatArr,
        rlo: FloatArr,
        rhi: FloatArr,
        mat: sp.csr_matrix,
        *,
        time_limit: float,
        params: str,
    ) -> None:
        csc = mat.tocsc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(lb), len(rlo)
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = obj, lb, ub
        lp.row_lower_, lp.row_upper_ = rlo, rhi
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr
        lp.a_matrix_.index_ = csc.indices
        lp.a_matrix_.value_ = csc.data
        self.h = quiet_first_highs()
        log = bool(os.environ.get("DISPATCH_SOLVER_LOG"))
        self.h.setOptionValue("output_flag", log)
        # HiGHS' thread pool is one per process and refuses to run when an instance asks for
        # another size than the first did: one thread everywhere, as `CarLP` (the dual simplex
        # and the interior point run serially anyway; a portfolio runs its calls side by side)
        self.h.setOptionValue("threads", 1)
        for key, value in _params(params):
            if key == "output_flag" and log:
                continue
            self.h.setOptionValue(key, _typed(value))
        self.h.setOptionValue("time_limit", max(0.05, float(time_limit)))
        self.h.passModel(lp)
        self.h.HandleUserInterrupt = True  # cancelSolve() stops it within an iteration
        self.stopped = False

    def run(self) -> None:
        if not self.stopped:
            self.h.run()

    def interrupt_solve(self) -> None:
        self.stopped = True
        self.h.cancelSolve()

    def optimal(self) -> bool:
        return bool(self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal)

    def result(self) -> Result:
        status = _STATUS.get(self.h.getModelStatus(), "NOT_SOLVED")
        info = self.h.getInfo()
        feasible = status == "OPTIMAL" or info.primal_solution_status == 2
        if not feasible:
            return status, None, None, None, None
        if status != "OPTIMAL":
            status = "FEASIBLE"
        obj = float(info.objective_function_value)
        sol = np.asarray(self.h.getSolution().col_value, dtype=float)
        return status, obj, obj if status == "OPTIMAL" else None, sol, None


class OrtoolsCall:
    """Any OR-Tools backend through its model builder (GLOP's duals, PDLP, integer programs)."""

    def __init__(
        self,
        model: mbh.ModelBuilderHelper,
        solver: str,
        *,
        time_limit: float,
        params: str,
        integer: bool,
    ) -> None:
        self.model, self.solver, self.integer = model, solver, integer
        self.sol = mbh.ModelSolverHelper(solver)
        log = bool(os.environ.get("DISPATCH_SOLVER_LOG"))
        self.sol.enable_output(log)
        text = "\n".join(f"{k} {v}".strip() for k, v in _params(params))
        if solver == "highs" and not log:
            # HiGHS prints its banner on stdout even with output off, unless told here
            text = "\n".join(p for p in (text, "output_flag=false") if p)
        if text:
            self.sol.set_solver_specific_parameters(text)
        self.sol.set_time_limit_in_seconds(max(0.05, time_limit))

    def run(self) -> None:
        self.sol.solve(self.model)

    def interrupt_solve(self) -> None:
        self.sol.interrupt_solve()

    def optimal(self) -> bool:
        return bool(self.sol.status() == mbh.SolveStatus.OPTIMAL)

    def result(self) -> Result:
        sol = self.sol
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
            duals = (
                np.asarray(sol.dual_values())
                if self.solver == "glop" and not self.integer
                else None
            )
        except Exception:
            duals = None
        return status, float(sol.objective_value()), bound, np.asarray(sol.variable_values()), duals
