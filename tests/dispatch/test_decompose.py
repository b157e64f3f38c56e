"""Row generation on the grid rows (`decompose.py`) reaches the full fixed LP's optimum exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energy.dispatch import check_plan, parse_scenario
from energy.dispatch.assign import assign
from energy.dispatch.core import Arrays
from energy.dispatch.decompose import grid_cost, solve_fixed
from energy.dispatch.lp import build_and_solve
from energy.dispatch.postprocess import postprocess
from tests.dispatch.factories import booking, private, scenario, vehicle


@st.composite
def tight(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(8, 24))
    vehicles = [
        vehicle(
            f"s{i}",
            initial_soc_kwh=draw(st.floats(5.0, 50.0)),
            max_discharge_kw=draw(st.sampled_from([0.0, 11.0])),
        )
        for i in range(draw(st.integers(1, 3)))
    ]
    for i in range(draw(st.integers(0, 2))):
        vehicles.append(private(f"p{i}", draw(st.integers(3, n + 3)), 40.0, initial_soc_kwh=10.0))
    imp = [draw(st.floats(-0.05, 0.3)) for _ in range(n)]
    exp = [x - draw(st.sampled_from([0.0, 0.0, 0.05])) for x in imp]
    doc = scenario(
        n,
        vehicles,
        [booking("b", 3, min(n, 9), draw(st.floats(0.0, 80.0)))],
        prices={"import_eur_per_kwh": imp, "export_eur_per_kwh": exp},
    )
    doc["site"] = {
        "grid_import_limit_kw": draw(st.sampled_from([12.0, 25.0, 60.0])),
        "grid_export_limit_kw": draw(st.sampled_from([5.0, 15.0, 60.0])),
        "base_load_kw": [draw(st.floats(0.0, 10.0)) for _ in range(n)],
        "pv_kw": [draw(st.sampled_from([0.0, 5.0, 30.0])) for _ in range(n)],
    }
    if draw(st.booleans()):
        doc["flexibility"] = {
            "up_eur_per_kw": [draw(st.floats(0.0, 0.02)) for _ in range(n)],
            "down_eur_per_kw": [draw(st.floats(0.0, 0.02)) for _ in range(n)],
        }
    return doc


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(tight())
def test_row_generation_matches_full_lp(doc: dict[str, Any]) -> None:
    scn = parse_scenario(doc)
    arr = Arrays.of(scn)
    assignment = assign(scn, arr)
    full = build_and_solve(scn, arr, "fixed", assignment=assignment, time_limit=20.0)
    rg, _ = solve_fixed(scn, arr, assignment, time_limit=20.0)
    assert full.objective is not None and rg.objective is not None
    assert abs(full.objective - rg.objective) <= 1e-6 * max(1.0, abs(full.objective))
    plan, _ = postprocess(scn, arr, assignment, rg)
    if plan is not None:
        assert check_plan(scn, plan).valid


def test_grid_cost_is_convex_and_curtails() -> None:
    doc = scenario(4, [vehicle("c")], [])
    doc["prices"] = {"import_eur_per_kwh": [0.2] * 4, "export_eur_per_kwh": [0.1] * 4}
    doc["site"]["pv_kw"] = [100.0] * 4
    doc["site"]["base_load_kw"] = [0.0] * 4
    arr = Arrays.of(parse_scenario(doc))
    y = np.linspace(-50.0, 400.0, 4)
    g = grid_cost(arr, y)
    assert np.all(np.isfinite(g[:3])) and not np.isfinite(g[3])  # 400 - 100 > import limit
    # below -250 + 100 nothing more is exported: PV is curtailed, the cost is flat
    flat = grid_cost(arr, np.array([-200.0, -180.0, -160.0, -150.0]))
    assert np.allclose(flat, -0.25 * 0.1 * (250.0 - 1e-5))
    # convex: slopes export price, then import price
    z = grid_cost(arr, np.array([90.0, 100.0, 110.0, 120.0]))
    assert np.isclose(z[1] - z[0], 0.25 * 0.1 * 10) and np.isclose(z[2] - z[1], 0.25 * 0.2 * 10)
