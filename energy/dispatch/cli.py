"""`plan_scenario` and `check_plan` as plain programs: argparse, files, exit codes, no Django.

`manage.py plan_scenario ...` and `manage.py check_plan ...` come here straight from
`manage.py`, before Django is set up: they plan or check a file and touch no database, model or
URL, and setting Django up (every app's models and admin, Celery, the UFTP client, FastAPI for
OpenADR) cost a small hub's plan about a second of its deadline. The Django management commands
of the same names call the same functions (for `call_command`).

Exit codes: 0 written (or valid), 1 a plan with violations (`check_plan`), 2 bad input, one line
on stderr, nothing written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from .baselines import baseline_plan
from .check import check_plan
from .core import LIKELY_STAY_SHARE, with_likely_departures
from .parse import parse_scenario_text
from .plan import parse_plan_text
from .scenario import Scenario, ScenarioError
from .solver import solve


class UsageError(Exception):
    """Bad input: one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


PLAN_HELP = "Plan a v2g-hub-scenario/1 file and write a v2g-hub-plan/1 file."
CHECK_HELP = "Check a plan against its scenario: exit 0 valid, 1 violations, 2 malformed input."


def add_plan_arguments(parser: argparse.ArgumentParser) -> None:
    """`plan_scenario`'s arguments (on this module's parser or Django's `CommandParser`)."""
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        help="deadline in seconds of wall clock from process start, writing included",
    )
    parser.add_argument("--baseline", choices=("uncontrolled", "greedy"), default=None)
    parser.add_argument(
        "--bound",
        action="store_true",
        help="after the plan, compute a lower bound (LP relaxation) in its own budget",
    )
    parser.add_argument("--bound-time-limit", type=float, default=None)
    parser.add_argument(
        "--likely-stay-share",
        type=float,
        default=None,
        help=(
            "plan each private car to be charged by plug-in + this share of its declared "
            f"stay as well (owners leave early; default {LIKELY_STAY_SHARE}, 1 = off)"
        ),
    )
    parser.add_argument(
        "--likely-departures",
        type=Path,
        default=None,
        help=(
            "JSON object {private vehicle id: slot}: the slot by which each car leaves with "
            "high probability, from the hub's history (plug-in times are not in a scenario)"
        ),
    )


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", type=Path)
    parser.add_argument("plan", type=Path)


def plan_file(
    *,
    scenario: Path,
    out: Path,
    time_limit: float = 60.0,
    baseline: str | None = None,
    bound: bool = False,
    bound_time_limit: float | None = None,
    likely_stay_share: float | None = None,
    likely_departures: Path | None = None,
    spent: float = 0.0,
) -> str:
    """Plan `scenario` into `out` and return the one line to print; `UsageError` on bad input.

    `spent`: seconds of the deadline already gone (the process's start-up) when called."""
    if not time_limit > 0:
        raise UsageError("--time-limit: must be a positive number of seconds")
    share = likely_stay_share
    if share is not None and not 0 < share <= 1:
        raise UsageError("--likely-stay-share: must be above 0 and at most 1")
    began = time.perf_counter()
    try:
        text = scenario.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{scenario}: cannot read: {exc.__class__.__name__}") from None
    try:
        scn = parse_scenario_text(text)
    except ScenarioError as exc:
        # one line, exit 2, nothing written: the spec's contract for a bad scenario
        raise UsageError(f"{scenario}: {exc}") from None
    if likely_departures is not None:
        scn = with_likely_departures(scn, _likely_slots(likely_departures, scn))
    if baseline:
        plan = baseline_plan(scn, baseline)
    else:
        left = time_limit - spent - (time.perf_counter() - began) - _write_reserve(scn)
        plan = solve(
            scn,
            time_limit=max(0.05, left),
            compute_bound=bound,
            bound_time_limit=bound_time_limit,
            likely_stay_share=share,
        )
    try:
        out.write_text(plan.to_json(), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{out}: cannot write: {exc.__class__.__name__}") from None
    status: object
    terms: dict[str, Any]
    if plan.report is not None:
        status, terms = plan.report.status, plan.report.terms
    else:  # a baseline: its summary is the document's
        status, terms = plan.summary.get("status"), plan.summary.get("terms", {})
    return f"wrote {out}: status {status}, score {terms.get('score', 'n/a')}"


def check_file(*, scenario: Path, plan: Path, stdout: TextIO) -> tuple[int, str]:
    """Print the violations and the score terms; (0, "valid") or (1, "N violation(s)")."""
    try:
        scn = parse_scenario_text(_read(scenario))
        doc = parse_plan_text(_read(plan), scn)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None
    result = check_plan(scn, doc)
    for line in result.violations:
        stdout.write(line + "\n")
    for key, value in result.terms.as_dict().items():
        stdout.write(f"{key}: {value:.6f}\n")
    if not result.valid:
        return 1, f"{len(result.violations)} violation(s)"
    return 0, "valid"


def main(argv: Sequence[str]) -> int:
    """`manage.py <command> ...` for the two commands here (`argv[0]` is the command)."""
    command, args = argv[0], list(argv[1:])
    try:
        if command == "plan_scenario":
            parser = _Parser(prog=command, description=PLAN_HELP)
            add_plan_arguments(parser)
            ns = parser.parse_args(args)
            line = plan_file(
                scenario=ns.scenario,
                out=ns.out,
                time_limit=ns.time_limit,
                baseline=ns.baseline,
                bound=ns.bound,
                bound_time_limit=ns.bound_time_limit,
                likely_stay_share=ns.likely_stay_share,
                likely_departures=ns.likely_departures,
                spent=since_process_start(),
            )
            sys.stdout.write(line + "\n")
            return 0
        parser = _Parser(prog=command, description=CHECK_HELP)
        add_check_arguments(parser)
        ns = parser.parse_args(args)
        code, verdict = check_file(scenario=ns.scenario, plan=ns.plan, stdout=sys.stdout)
        (sys.stderr if code else sys.stdout).write(verdict + "\n")
        return code
    except UsageError as exc:
        sys.stderr.write(f"{command}: {exc}\n")
        return 2


def run(argv: Sequence[str]) -> NoReturn:
    """Run and leave at once: a solver stage stopped at the deadline may still be unwinding
    in its thread, and tearing the interpreter down would wait for it."""
    code = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def since_process_start() -> float:
    """Seconds since this process started (Linux /proc), else the CPU time spent so far."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:  # noqa: PTH123
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as f:  # noqa: PTH123
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.process_time()


def _write_reserve(scn: Any) -> float:
    """Time kept for serialising and writing the plan (measured ~1 s per million numbers)."""
    numbers = len(scn.vehicles) * scn.slots * (3 if scn.flexibility else 1)
    return 0.05 + 1.5e-6 * numbers


def _likely_slots(path: Path, scn: Scenario) -> dict[str, int]:
    """`--likely-departures`: every key a private vehicle of the scenario, every value a slot."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc.__class__.__name__}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: invalid JSON at line {exc.lineno}") from None
    if not isinstance(doc, dict):
        raise UsageError(f"{path}: expected an object {{vehicle id: slot}}")
    private = {v.id for v in scn.vehicles if v.is_private}
    out: dict[str, int] = {}
    for key, slot in doc.items():
        if key not in private:
            raise UsageError(f"{path}: {key!r} is not a private vehicle of the scenario")
        if isinstance(slot, bool) or not isinstance(slot, int) or slot < 0:
            raise UsageError(f"{path}: {key}: expected a slot (an integer >= 0)")
        out[key] = slot
    return out


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.__class__.__name__}") from None
