"""What the feasibility check reasons about, and the arithmetic of one car.

``Car``, ``Need`` (one booking), ``Result`` and ``RangeAnswer`` are the dataclasses in and out;
times are whole minutes, energy whole watt-hours, distance whole km. The functions below them
apply the rules of ``shared/spec/scenario.md`` to a single car (the promise at start, the use on a
trip, charging while parked, the buffer between blocks), and :func:`verify` checks a whole
assignment with them: every method (greedy, exact, insertion) shares this arithmetic so they agree
to the watt-hour.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

NEW_BOOKING_ID = -1
DEFAULT_TIME_LIMIT_SECONDS = 5.0


@dataclass(frozen=True)
class Car:
    id: int
    capacity_wh: int
    floor_wh: int
    wh_per_km: int
    charge_w: int
    soc_wh: int
    """Charge held at ``available_from``."""
    available_from: int
    maintenance: tuple[tuple[int, int], ...] = ()
    max_km: int = 10**6
    """The most range one may promise with this car's model."""


@dataclass(frozen=True)
class Need:
    """One booking as the check sees it."""

    id: int
    start: int
    end: int
    promised_km: int
    expected_km: int
    bound_car: int | None = None
    forbidden_cars: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Result:
    feasible: bool
    assignment: dict[int, int] = field(default_factory=dict)
    """Booking id to car id: a witness when feasible."""
    method: str = ""
    proven: bool = True
    """False when the solver ran out of time; the answer is then a conservative "no"."""
    seconds: float = 0.0


@dataclass(frozen=True)
class RangeAnswer:
    km: int | None
    """The most range one can book for the window; ``None`` when no car is free at all."""
    proven: bool = True


# --- single-car arithmetic, shared by every method so they agree to the watt-hour ----------------


def need_wh(car: Car, need: Need) -> int:
    return car.floor_wh + need.promised_km * car.wh_per_km


def use_wh(car: Car, need: Need) -> int:
    return min(need.expected_km, need.promised_km) * car.wh_per_km


def charging_minutes(car: Car, t0: int, t1: int) -> int:
    """Minutes in ``[t0, t1)`` the car is plugged in (not in maintenance)."""
    if t1 <= t0:
        return 0
    minutes = t1 - t0
    for m_start, m_end in car.maintenance:
        overlap = min(t1, m_end) - max(t0, m_start)
        if overlap > 0:
            minutes -= overlap
    return minutes


def charge_wh(car: Car, t0: int, t1: int) -> int:
    return car.charge_w * charging_minutes(car, t0, t1) // 60


def can_serve(car: Car, need: Need, buffer: int) -> bool:
    """Whether the car could serve this booking on its own (time, maintenance, size)."""
    if need.bound_car is not None and need.bound_car != car.id:
        return False
    if car.id in need.forbidden_cars:
        return False
    if need.start < car.available_from:
        return False
    if need.promised_km > car.max_km or need_wh(car, need) > car.capacity_wh:
        return False
    block_start, block_end = block(need, buffer)
    return all(
        not (block_start < m_end and m_start < block_end) for m_start, m_end in car.maintenance
    )


def block(need: Need, buffer: int) -> tuple[int, int]:
    """The time ``[start - buffer, end + buffer)`` a booking holds its car (``Booking.block_*``)."""
    return need.start - buffer, need.end + buffer


def free_after(need: Need, buffer: int) -> int:
    """The earliest start of the car's next booking: the two blocks must not overlap."""
    return need.end + 2 * buffer


def follows(first: Need, second: Need, buffer: int) -> bool:
    return free_after(first, buffer) <= second.start


def sort_key(need: Need) -> tuple[int, int, int]:
    return (need.start, need.end, need.id)


def make_up_of(car: Car) -> tuple[object, ...]:
    """A car's make-up: everything the check knows of it but its id, charge and availability."""
    return (car.capacity_wh, car.floor_wh, car.wh_per_km, car.charge_w, car.maintenance, car.max_km)


def alike_key(car: Car) -> tuple[object, ...]:
    """Everything but the id: cars equal in this answer every question about one booking alike."""
    return (make_up_of(car), car.soc_wh, car.available_from)


def start_soc(car: Car) -> int:
    return min(car.capacity_wh, car.soc_wh)


def chain_ok(car: Car, chain: Sequence[Need], buffer: int) -> bool:
    """Simulate one car through its bookings (sorted by start)."""
    soc = start_soc(car)
    t = car.available_from
    previous: Need | None = None
    for need in chain:
        if not can_serve(car, need, buffer):
            return False
        if previous is not None and not follows(previous, need, buffer):
            return False
        soc = min(car.capacity_wh, soc + charge_wh(car, t, need.start))
        if soc < need_wh(car, need):
            return False
        soc -= use_wh(car, need)
        t = need.end
        previous = need
    return True


def verify(
    cars: Sequence[Car], needs: Sequence[Need], buffer: int, assignment: dict[int, int]
) -> bool:
    by_car: dict[int, list[Need]] = defaultdict(list)
    car_by_id = {car.id: car for car in cars}
    for need in needs:
        car_id = assignment.get(need.id)
        if car_id is None or car_id not in car_by_id:
            return False
        by_car[car_id].append(need)
    return all(
        chain_ok(car_by_id[car_id], sorted(chain, key=sort_key), buffer)
        for car_id, chain in by_car.items()
    )
