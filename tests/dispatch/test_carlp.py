"""`CarLP`: one car's LP kept warm in HiGHS gives the same optimum as building it from scratch."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest

from energy.dispatch import parse_scenario
from energy.dispatch.carlp import CarLP
from energy.dispatch.core import Arrays
from energy.dispatch.lp import build_and_solve
from tests.dispatch.factories import booking, scenario, vehicle


def _doc(with_flex: bool) -> dict[str, Any]:
    n = 192
    cars = [
        vehicle("v2g", max_discharge_kw=11.0, initial_soc_kwh=30.0, battery_kwh=60.0),
        vehicle("plain", initial_soc_kwh=12.0, battery_kwh=40.0, plugged_in_from_slot=6),
    ]
    trips = [
        booking("early", 4, 20, 40.0),
        booking("noon", 50, 70, 150.0),
        booking("evening", 120, 140, 90.0),
        booking("overnight", 170, 192, 60.0),  # returns exactly at the horizon's end
        booking("far", 90, 110, 2000.0),  # no car holds this promise
    ]
    doc = scenario(n, cars, trips)
    if with_flex:
        doc["flexibility"] = {
            "up_eur_per_kw": [round(0.01 + 0.01 * math.sin(t / 9), 4) for t in range(n)],
            "down_eur_per_kw": [round(0.008 + 0.006 * math.cos(t / 7), 4) for t in range(n)],
        }
    return doc


@pytest.mark.parametrize("with_flex", [True, False])
def test_warm_car_lp_matches_the_lp_built_from_scratch(with_flex: bool) -> None:
    scn = parse_scenario(_doc(with_flex))
    arr = Arrays.of(scn)
    prices = arr.imp * 1.05 + 0.01
    off = np.zeros(arr.n, dtype=bool)
    book = {b.id: b for b in scn.bookings}
    compared = infeasible = 0
    for i, v in enumerate(scn.vehicles):
        lp = CarLP(scn, arr, i, prices)
        ids = sorted(book)
        # every subset, in an order that adds and removes trips, so the warm basis is exercised
        subsets = [set(c) for r in range(4) for c in itertools.combinations(ids, r)]
        for trips in subsets + subsets[::-1]:
            if any(
                a != b
                and book[a].start_slot < book[b].end_slot
                and book[b].start_slot < book[a].end_slot
                for a in trips
                for b in trips
            ):
                continue
            if v.plugged_in_from_slot > min((book[t].start_slot for t in trips), default=arr.n):
                continue
            ref = build_and_solve(
                scn,
                arr,
                "fixed",
                assignment=dict.fromkeys(trips, v.id),
                grid_prices=prices,
                coupled=off,
                flex_coupled=off,
                only=[i],
            )
            warm = lp.value(book[t] for t in trips)
            if ref.objective is None or any(s > 1e-6 for s in ref.promise_slack.values()):
                # a promise the car cannot keep: the warm LP has no slack, it is infeasible
                assert warm == math.inf, (v.id, trips)
                infeasible += 1
            else:
                assert warm == pytest.approx(ref.objective, abs=1e-6), (v.id, trips)
                compared += 1
    assert compared > 40 and infeasible > 5


@pytest.mark.parametrize("with_flex", [False, True])
def test_the_objective_without_grid_prices_is_the_same_whatever_the_prices(
    with_flex: bool,
) -> None:
    """`base_obj` (what column generation prices from) takes the grid prices a car's LP was
    built with back out: a car built by the local search serves column generation as well."""
    scn = parse_scenario(_doc(with_flex))
    arr = Arrays.of(scn)
    prices = np.random.default_rng(7).uniform(-0.1, 0.4, arr.n)
    for i in range(len(scn.vehicles)):
        plain = CarLP(scn, arr, i, np.zeros(arr.n))
        priced = CarLP(scn, arr, i, prices)
        assert not np.allclose(priced.model.obj, plain.model.obj)
        assert np.allclose(priced.base_obj, plain.base_obj)
        assert np.allclose(plain.base_obj, plain.model.obj)
