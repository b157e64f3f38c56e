"""The management commands: exit codes and one-line messages, as the spec's contract says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.dispatch.factories import booking, scenario, vehicle

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, doc: object, name: str = "scenario.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_plan_then_check_round_trip(tmp_path: Path) -> None:
    scn = _write(tmp_path, scenario(bookings=[booking("b1", 20, 40, 80.0)]))
    out = tmp_path / "plan.json"
    call_command("plan_scenario", str(scn), "--out", str(out), "--time-limit", "20")
    plan = json.loads(out.read_text())
    assert plan["format"] == "v2g-hub-plan/1"
    assert plan["assignments"]["b1"] in ("car-1", "car-2")
    call_command("check_plan", str(scn), str(out))  # valid: no exception


@pytest.mark.parametrize("baseline", ["uncontrolled", "greedy"])
def test_baselines_write_valid_plans(tmp_path: Path, baseline: str) -> None:
    scn = _write(tmp_path, scenario())
    out = tmp_path / "plan.json"
    call_command("plan_scenario", str(scn), "--out", str(out), "--baseline", baseline)
    call_command("check_plan", str(scn), str(out))


@pytest.mark.parametrize(
    "mutate", ["unknown_key", "short_array", "negative_capacity", "past_horizon", "unknown_vehicle"]
)
def test_bad_scenario_exits_2_with_one_line(tmp_path: Path, mutate: str) -> None:
    doc = scenario(vehicles=[vehicle("a")], bookings=[booking("b", 5, 10, 20.0)])
    if mutate == "unknown_key":
        doc["sitee"] = {}
    elif mutate == "short_array":
        doc["prices"]["import_eur_per_kwh"].pop()
    elif mutate == "negative_capacity":
        doc["vehicles"][0]["battery_kwh"] = -3
    elif mutate == "past_horizon":
        doc["bookings"][0]["end_slot"] = 200
    else:
        doc["bookings"][0]["vehicle"] = "nobody"
    out = tmp_path / "plan.json"
    with pytest.raises(CommandError) as info:
        call_command("plan_scenario", str(_write(tmp_path, doc)), "--out", str(out))
    assert info.value.returncode == 2
    assert "\n" not in str(info.value)
    assert not out.exists()


def test_missing_file_exits_2(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as info:
        call_command(
            "plan_scenario", str(tmp_path / "nope.json"), "--out", str(tmp_path / "p.json")
        )
    assert info.value.returncode == 2


def test_check_plan_reports_violation_with_exit_1(tmp_path: Path) -> None:
    scn = _write(tmp_path, scenario(vehicles=[vehicle("a")], bookings=[]))
    n = 96
    bad = {
        "format": "v2g-hub-plan/1",
        "scenario": "test",
        "assignments": {},
        "power_kw": {"a": [50.0] + [0.0] * (n - 1)},
        "summary": {},
    }
    plan = _write(tmp_path, bad, "plan.json")
    with pytest.raises(CommandError) as info:
        call_command("check_plan", str(scn), str(plan))
    assert info.value.returncode == 1


def test_real_process_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{ not json")
    proc = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "plan_scenario",
            str(path),
            "--out",
            str(tmp_path / "p.json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "invalid JSON" in lines[0]
    assert "Traceback" not in proc.stderr


def test_real_process_plans_with_one_line_and_no_unused_imports(tmp_path: Path) -> None:
    """A small plan as a process: stdout is the one "wrote" line (no solver banner), the
    database is not asked (a URL to nothing does not stop it), and the path does not load
    the heavy modules it never uses (pvlib and pandas for PV forecasts, CP-SAT for the booking
    check, the URL and view modules the system checks would import): not even Django, since
    `manage.py` hands the command to `energy.dispatch.cli` before setting Django up."""
    scn = _write(
        tmp_path,
        scenario(
            vehicles=[vehicle("a"), vehicle("b")],
            bookings=[booking("b1", 20, 40, 60.0)],
        ),
    )
    out = tmp_path / "plan.json"
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['manage.py', 'plan_scenario', sys.argv[1], '--out', sys.argv[2],"
        " '--time-limit', '30']\n"
        "import atexit, os\n"
        "def report():\n"
        "    heavy = ('pvlib', 'pandas', 'ortools.sat.python.cp_model', 'sharing.views',"
        " 'drf_spectacular.views', 'django.apps', 'celery', 'fastapi')\n"
        "    sys.stderr.write('LOADED ' + ' '.join(m for m in heavy if m in sys.modules) + '\\n')\n"
        "    sys.stderr.flush()\n"
        "_exit = os._exit\n"
        "def exit_after_report(code):\n"
        "    report()\n"
        "    _exit(code)\n"
        "os._exit = exit_after_report\n"
        "runpy.run_path('manage.py', run_name='__main__')\n"
    )
    env = {
        **__import__("os").environ,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
    }
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(scn), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [proc.stdout.strip()]
    assert proc.stdout.startswith(f"wrote {out}: status ")
    loaded = [ln for ln in proc.stderr.splitlines() if ln.startswith("LOADED")]
    assert loaded == ["LOADED "], proc.stderr
    assert json.loads(out.read_text())["summary"]["valid"] is True


def test_real_check_plan_process_exit_codes(tmp_path: Path) -> None:
    """`manage.py check_plan` from the shell (the path without Django): 0 and "valid" for a
    good plan, 1 for violations, 2 and one line for a file that is not there."""
    doc = scenario(vehicles=[vehicle("a")], bookings=[booking("b1", 20, 40, 60.0)])
    scn = _write(tmp_path, doc)
    plan = tmp_path / "plan.json"
    call_command("plan_scenario", str(scn), "--out", str(plan), "--baseline", "greedy")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", "check_plan", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    good = run(str(scn), str(plan))
    assert good.returncode == 0 and good.stdout.strip().endswith("valid"), good.stderr
    broken = json.loads(plan.read_text())
    broken["power_kw"]["a"][0] = 1000.0  # far above the charger's power: rule 4
    bad_plan = tmp_path / "bad.json"
    bad_plan.write_text(json.dumps(broken))
    bad = run(str(scn), str(bad_plan))
    assert bad.returncode == 1 and "violation" in bad.stderr, bad.stdout + bad.stderr
    missing = run(str(scn), str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert len(missing.stderr.strip().splitlines()) == 1 and "Traceback" not in missing.stderr


def test_likely_departures_file_is_checked_and_used(tmp_path: Path) -> None:
    """`--likely-departures`: a private car of the scenario and a slot each, else exit 2 with
    one line; a likely departure given moves the car's charging earlier."""
    from energy.dispatch.cli import UsageError, plan_file
    from tests.dispatch.factories import private

    n = 96
    doc = scenario(
        n=n,
        vehicles=[
            vehicle("a"),
            private("own", departure_slot=80, departure_soc_kwh=40.0, initial_soc_kwh=10.0),
        ],
        bookings=[],
    )
    doc["prices"] = {
        "import_eur_per_kwh": [0.30] * 40 + [0.05] * (n - 40),
        "export_eur_per_kwh": [0.0] * n,
    }
    scn = _write(tmp_path, doc)
    out = tmp_path / "plan.json"
    for bad, says in (
        ({"a": 10}, "not a private vehicle"),
        ({"own": -1}, "integer >= 0"),
        ({"own": "x"}, "integer >= 0"),
        ([1], "expected an object"),
    ):
        side = tmp_path / "likely.json"
        side.write_text(json.dumps(bad))
        with pytest.raises(UsageError) as exc:
            plan_file(scenario=scn, out=out, time_limit=20, likely_departures=side)
        assert says in str(exc.value) and "\n" not in str(exc.value)
        assert not out.exists()
    side = tmp_path / "likely.json"
    side.write_text(json.dumps({"own": 12}))
    plan_file(scenario=scn, out=out, time_limit=20, likely_departures=side)
    early = json.loads(out.read_text())["power_kw"]["own"]
    plan_file(scenario=scn, out=out, time_limit=20, likely_stay_share=1.0)
    declared_only = json.loads(out.read_text())["power_kw"]["own"]
    # told it leaves by slot 12, the car charges before the cheap slots; told nothing, it waits
    assert sum(early[:12]) > sum(declared_only[:12]) + 1.0
