"""Can every booking of a hub get a car that keeps its range promise?

Pure: dataclasses in, dataclasses out; OR-Tools and the standard library only, no Django.
Times are whole minutes (any common origin), energy whole watt-hours, distance whole km.

The rules (``shared/spec/scenario.md``, "What makes a plan valid"):

* rule 1 - every booking gets exactly one car; a booking with a bound car keeps it;
* rule 2 - a booking holds its car for the block ``[start - buffer, end + buffer)``; the blocks of
  one car never overlap (so two bookings of one car leave ``2 * buffer`` between one's end and the
  next one's start), no block overlaps a maintenance window, and no booking starts before the car
  is available;
* rule 6 - the promise: at a booking's start its car holds at least
  ``floor + promised_km * consumption``;
* rules 3/5 - a car charges only while parked and not in maintenance, at its full charge power,
  never above capacity; it comes back with ``expected_km * consumption`` less than it left with.
  ``expected_km`` is capped at the promise, so a car never comes back below its floor.

The site's grid limit is ignored: the dispatcher in ``energy`` deals with it.

How it decides, fast first and exact always:

1. Split the bookings into *components*: between two components every car has had time to charge
   from empty to full, so no assignment in one can change the other.
2. A quick refusal when the promise exceeds what any free car can ever hold.
3. A greedy assignment (each booking in start order to the best-fitting car that keeps the
   promise), checked by :func:`verify`. Success is a proof of feasibility.
4. Otherwise the exact model: CP-SAT with one circuit per car over the bookings it may serve
   (a path from the depot through its bookings in time order) and an energy chain along the
   circuit's arcs. Charge only helps later bookings, so the chain is written as upper bounds on the
   charge at each start; the solver may pick the largest value, which is the physical one.

The modules, in the order above: :mod:`.model` (the dataclasses and the single-car arithmetic
every method shares, with :func:`~.model.verify`), :mod:`.components`, :mod:`.greedy`,
:mod:`.exact` (CP-SAT) and :mod:`.questions` (the questions the services ask, which combine
them). Callers use this package as ``fz`` (``from sharing import feasibility as fz``); its names are
below.
"""

from __future__ import annotations

from .components import component_around, split_components
from .exact import solve_exact
from .greedy import greedy
from .model import (
    DEFAULT_TIME_LIMIT_SECONDS,
    NEW_BOOKING_ID,
    Car,
    Need,
    RangeAnswer,
    Result,
    verify,
)
from .questions import check, check_with, max_range_km, upper_range_km, witness

__all__ = [
    "DEFAULT_TIME_LIMIT_SECONDS",
    "NEW_BOOKING_ID",
    "Car",
    "Need",
    "RangeAnswer",
    "Result",
    "check",
    "check_with",
    "component_around",
    "greedy",
    "max_range_km",
    "solve_exact",
    "split_components",
    "upper_range_km",
    "verify",
    "witness",
]
