"""Running the sweep: each run in a fresh `plan_scenario` process, then `check_plan`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .families import expectation, runs
from .records import OVERRUN_S, ROOT, Result, Run


def _manage(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def run_one(run: Run, tmp: Path) -> Result:
    doc = run.doc
    is_doc = isinstance(doc, dict)
    expect = run.expect or (expectation(doc) if is_doc else "error")
    res = Result(
        run.name,
        run.limit,
        expect,
        doc.get("slots", 0) if is_doc else 0,
        len(doc.get("vehicles", [])) if is_doc else 0,
        len(doc.get("bookings", [])) if is_doc else 0,
    )
    safe = run.name.replace("/", "_")
    src, out = tmp / f"{safe}.scenario.json", tmp / f"{safe}.plan.json"
    src.write_text(json.dumps(doc) if is_doc else doc, encoding="utf-8")
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.run(  # noqa: S603
        _manage("plan_scenario", str(src), "--out", str(out), "--time-limit", f"{run.limit:g}"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=run.limit * 4 + 60,
    )
    res.wall = time.perf_counter() - t0
    res.code = proc.returncode
    err = proc.stderr.strip()
    if "Traceback" in proc.stderr:
        res.failures.append("traceback")
        res.detail.append(proc.stderr.strip().splitlines()[-1][:200])
    if res.wall > run.limit + OVERRUN_S:
        res.failures.append("overrun")
    if expect == "error":
        if proc.returncode != 2:
            res.failures.append(f"exit {proc.returncode} (expected 2)")
        elif len(err.splitlines()) != 1:
            res.failures.append("multi-line error")
        if out.exists():
            res.failures.append("wrote a plan")
        res.detail.append(err.splitlines()[-1][:160] if err else "(no message)")
        res.check = "-"
        return res
    if proc.returncode != 0 or not out.exists():
        res.failures.append(f"exit {proc.returncode} (expected 0)")
        if err:
            res.detail.append(err.splitlines()[-1][:200])
        res.check = "-"
        return res
    chk = subprocess.run(  # noqa: S603
        _manage("check_plan", str(src), str(out)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if "Traceback" in chk.stderr:
        res.failures.append("checker traceback")
        res.detail.append(chk.stderr.strip().splitlines()[-1][:200])
    lines = [x for x in chk.stdout.splitlines() if x.startswith("rule ")]
    summary = json.loads(out.read_text(encoding="utf-8")).get("summary", {})
    unkept = set(summary.get("band_unkept_slots", []))
    band = [x for x in lines if x.startswith(("rule 7: slot", "rule 8/7: slot"))]
    other = [x for x in lines if x not in band]
    band_slots = {int(x.split(":")[1].split()[1]) for x in band}
    if chk.returncode == 0:
        res.check = "valid"
        if expect == "unkept":
            res.failures.append("valid where no plan can keep the band?")
    elif chk.returncode == 1 and not other and band_slots and band_slots <= unkept:
        res.check = "unkept"
        if expect == "valid":
            res.failures.append("band broken where idle cars keep it")
    else:
        res.check = f"{len(lines)} violation(s)"
        res.failures.append("invalid plan")
        res.detail.extend(lines[:4])
        if band_slots - unkept:
            res.detail.append(f"band broken in slots not named: {sorted(band_slots - unkept)[:8]}")
    res.detail.append(
        f"status {summary.get('status')}, stage {summary.get('stage')}, "
        f"seconds {summary.get('seconds')}"
    )
    return res


def _row(r: Result) -> str:
    verdict = "ok" if not r.failures else "FAIL " + ", ".join(r.failures)
    return (
        f"{r.name:40} {r.slots:5} {r.vehicles:5} {r.bookings:5} {r.limit:5g} {r.wall:7.2f} "
        f"{r.code:4} {r.expect:7} {r.check:16} {verdict}"
    )


HEADER = (
    f"{'run':40} {'slots':>5} {'cars':>5} {'books':>5} {'limit':>5} {'wall':>7} "
    f"{'exit':>4} {'expect':7} {'check':16} verdict"
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.dispatch.sweep", description=__doc__)
    ap.add_argument("--seeds", type=int, default=3, help="seeds 2..K of every case (default 3)")
    ap.add_argument("--only", nargs="*", default=None, help="runs whose name contains one of these")
    ap.add_argument("--keep", type=Path, default=None, help="keep scenarios and plans here")
    ap.add_argument("--json", type=Path, default=None, help="write every result here")
    ap.add_argument("--list", action="store_true", help="list the runs and stop")
    ns = ap.parse_args(argv)
    chosen = [c for c in runs(ns.seeds) if not ns.only or any(s in c.name for s in ns.only)]
    if ns.list:
        for c in chosen:
            print(c.name, c.limit)
        return 0
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as t:
        tmp = ns.keep or Path(t)
        tmp.mkdir(parents=True, exist_ok=True)
        print(HEADER, flush=True)
        for run in chosen:
            res = run_one(run, tmp)
            results.append(res)
            print(_row(res), flush=True)
            for d in res.detail if res.failures else []:
                print(f"    {d}", flush=True)
    failed = [r for r in results if r.failures]
    kinds: dict[str, int] = {}
    for r in failed:
        for f in r.failures:
            kinds[f] = kinds.get(f, 0) + 1
    worst = max(results, key=lambda r: r.wall - r.limit, default=None)
    print(f"\n{len(results)} runs, {len(failed)} failed: {kinds or 'none'}")
    if worst is not None:
        print(f"worst wall - limit: {worst.wall - worst.limit:+.2f} s ({worst.name})")
    if ns.json:
        ns.json.write_text(
            json.dumps([dataclasses.asdict(r) for r in results], indent=1), encoding="utf-8"
        )
    return 1 if failed else 0
