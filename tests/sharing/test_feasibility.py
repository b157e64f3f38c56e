"""The feasibility check against a brute-force oracle (no database)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharing.feasibility import (
    NEW_BOOKING_ID,
    Car,
    Need,
    check,
    check_with,
    greedy,
    max_range_km,
    solve_exact,
    verify,
)

BUFFER = 15


def oracle(cars: list[Car], needs: list[Need], buffer: int) -> bool:
    """Try every assignment; simulate each car minute by minute in slots of whole minutes."""
    for choice in itertools.product(cars, repeat=len(needs)):
        ok = True
        for car in cars:
            mine = sorted(
                (n for n, c in zip(needs, choice, strict=True) if c is car), key=lambda n: n.start
            )
            soc = min(car.soc_wh, car.capacity_wh)
            clock = car.available_from
            last_end = None
            for need in mine:
                if need.bound_car is not None and need.bound_car != car.id:
                    ok = False
                    break
                if car.id in need.forbidden_cars or need.start < car.available_from:
                    ok = False
                    break
                if need.promised_km > car.max_km:
                    ok = False
                    break
                # Blocks [start - buffer, end + buffer) of one car never overlap.
                if last_end is not None and need.start - buffer < last_end + buffer:
                    ok = False
                    break
                if any(
                    need.start - buffer < e and s < need.end + buffer for s, e in car.maintenance
                ):
                    ok = False
                    break
                plugged = sum(
                    1
                    for minute in range(clock, need.start)
                    if not any(s <= minute < e for s, e in car.maintenance)
                )
                soc = min(car.capacity_wh, soc + car.charge_w * plugged // 60)
                if soc < car.floor_wh + need.promised_km * car.wh_per_km:
                    ok = False
                    break
                soc -= min(need.expected_km, need.promised_km) * car.wh_per_km
                clock = need.end
                last_end = need.end
            if not ok:
                break
        if ok:
            return True
    return False


@st.composite
def instances(draw):
    n_cars = draw(st.integers(1, 3))
    cars = []
    for i in range(n_cars):
        capacity = draw(st.sampled_from([20_000, 40_000, 60_000]))
        maintenance: tuple[tuple[int, int], ...] = ()
        if draw(st.booleans()) and draw(st.booleans()):
            m_start = draw(st.integers(0, 20)) * 15
            maintenance = ((m_start, m_start + draw(st.integers(1, 8)) * 15),)
        cars.append(
            Car(
                id=i + 1,
                capacity_wh=capacity,
                floor_wh=draw(st.sampled_from([0, 2_000, 5_000])),
                wh_per_km=draw(st.sampled_from([120, 150, 200])),
                charge_w=draw(st.sampled_from([3_700, 7_400, 11_000])),
                soc_wh=draw(st.integers(0, capacity // 1000)) * 1000,
                available_from=draw(st.sampled_from([0, 0, 30, 60])),
                maintenance=maintenance,
                max_km=draw(st.sampled_from([150, 300, 10**6])),
            )
        )
    n_needs = draw(st.integers(1, 5))
    needs = []
    for j in range(n_needs):
        start = draw(st.integers(0, 24)) * 15
        end = start + draw(st.integers(2, 12)) * 15
        promised = draw(st.integers(0, 30)) * 10
        bound = draw(st.sampled_from([None, None, None, *[c.id for c in cars]]))
        forbidden = frozenset(draw(st.sets(st.sampled_from([c.id for c in cars]), max_size=1)))
        needs.append(
            Need(
                id=j + 1,
                start=start,
                end=end,
                promised_km=promised,
                expected_km=draw(st.integers(0, promised)),
                bound_car=bound,
                forbidden_cars=forbidden if bound is None else frozenset(),
            )
        )
    return cars, needs


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(instances())
def test_exact_check_agrees_with_brute_force(instance):
    cars, needs = instance
    expected = oracle(cars, needs, BUFFER)
    result = solve_exact(cars, needs, BUFFER)
    assert result.feasible == expected
    if result.feasible:
        assert verify(cars, needs, BUFFER, result.assignment)
        assert oracle_accepts(cars, needs, result.assignment)


def oracle_accepts(cars, needs, assignment):
    by_id = {c.id: c for c in cars}
    fixed = [
        Need(n.id, n.start, n.end, n.promised_km, n.expected_km, bound_car=assignment[n.id])
        for n in needs
    ]
    return oracle([by_id[i] for i in sorted(set(assignment.values()))], fixed, BUFFER)


@SETTINGS
@given(instances())
def test_full_check_with_components_and_greedy_agrees_with_brute_force(instance):
    cars, needs = instance
    result = check(cars, needs, BUFFER)
    assert result.feasible == oracle(cars, needs, BUFFER)
    if result.feasible:
        assert verify(cars, needs, BUFFER, result.assignment)


@SETTINGS
@given(instances())
def test_greedy_only_ever_answers_yes_correctly(instance):
    cars, needs = instance
    assignment = greedy(cars, needs, BUFFER)
    if assignment is not None and verify(cars, needs, BUFFER, assignment):
        assert oracle(cars, needs, BUFFER)


@SETTINGS
@given(instances(), st.integers(0, 24), st.integers(2, 12))
def test_adding_a_booking_agrees_with_brute_force(instance, start_slot, length_slots):
    cars, needs = instance
    if not oracle(cars, needs, BUFFER):
        return
    start, end = start_slot * 15, (start_slot + length_slots) * 15
    answer = max_range_km(cars, needs, start, end, BUFFER)
    if answer.km is None:
        assert not oracle(cars, [*needs, Need(NEW_BOOKING_ID, start, end, 0, 0)], BUFFER)
        return
    at_limit = Need(NEW_BOOKING_ID, start, end, answer.km, answer.km)
    beyond = Need(NEW_BOOKING_ID, start, end, answer.km + 1, answer.km + 1)
    assert oracle(cars, [*needs, at_limit], BUFFER)
    assert check_with(cars, needs, at_limit, BUFFER).feasible
    assert not oracle(cars, [*needs, beyond], BUFFER)
    assert not check_with(cars, needs, beyond, BUFFER).feasible


def test_one_car_needs_twice_the_buffer_between_two_bookings():
    """Blocks are [start - buffer, end + buffer): with 15 minutes, end + 30 fits, end + 15 not."""
    car = Car(1, 60_000, 0, 150, 11_000, 60_000, 0)
    first = Need(1, 60, 120, 10, 10)
    for gap, fits in ((2 * BUFFER, True), (2 * BUFFER - 1, False), (BUFFER, False)):
        second = Need(NEW_BOOKING_ID, 120 + gap, 180 + gap, 10, 10)
        assert check_with([car], [first], second, BUFFER).feasible is fits
        assert check([car], [first, second], BUFFER).feasible is fits
        answer = max_range_km([car], [first], second.start, second.end, BUFFER)
        assert (answer.km is not None) is fits


def test_maintenance_keeps_a_buffer_on_both_sides():
    car = Car(1, 60_000, 0, 150, 11_000, 60_000, 0, maintenance=((200, 260),))
    assert check([car], [Need(1, 260 + BUFFER, 300, 10, 10)], BUFFER).feasible
    assert not check([car], [Need(1, 260 + BUFFER - 1, 300, 10, 10)], BUFFER).feasible
    assert check([car], [Need(1, 100, 200 - BUFFER, 10, 10)], BUFFER).feasible
    assert not check([car], [Need(1, 100, 200 - BUFFER + 1, 10, 10)], BUFFER).feasible
