"""Bookings split into components that cannot influence each other.

Between two components every car has had time to charge from empty to full, so no assignment in
one can change the other: each is checked on its own, and the services load only the component
around the booking they ask about (:func:`component_around`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from .model import NEW_BOOKING_ID, Car, Need, charge_wh, free_after, sort_key


def resets(cars: Sequence[Car], free_from: int, until: int) -> bool:
    """Every car that could have served something before ``free_from`` is full by ``until``."""
    return all(
        charge_wh(car, free_from, until) >= car.capacity_wh
        for car in cars
        if car.available_from <= free_from
    )


def _resetter(cars: Sequence[Car]) -> Callable[[int, int], bool]:
    """:func:`resets`, fast for a big fleet: cars without maintenance need one fixed gap.

    Requiring that gap of every such car (even one not yet available) is stricter than
    :func:`resets`, and cutting less often is always safe.
    """
    plain = [car for car in cars if not car.maintenance]
    special = [car for car in cars if car.maintenance]
    if any(car.charge_w <= 0 for car in plain):
        gap_needed = None
    else:
        gap_needed = max((-(-car.capacity_wh * 60 // car.charge_w) for car in plain), default=0)

    def resets_fast(free_from: int, until: int) -> bool:
        if gap_needed is None or until - free_from < gap_needed:
            return False
        return resets(special, free_from, until)

    return resets_fast


def split_components(cars: Sequence[Car], needs: Iterable[Need], buffer: int) -> list[list[Need]]:
    """Groups of bookings that cannot influence each other, in time order."""
    components: list[list[Need]] = []
    current: list[Need] = []
    free_from = 0
    cut_ok = _resetter(cars)
    for need in sorted(needs, key=sort_key):
        if current and (need.start < free_from or not cut_ok(free_from, need.start)):
            current.append(need)
            free_from = max(free_from, free_after(need, buffer))
            continue
        if current:
            components.append(current)
        current = [need]
        free_from = free_after(need, buffer)
    if current:
        components.append(current)
    return components


def component_around(
    cars: Sequence[Car],
    needs: Sequence[Need],
    buffer: int,
    anchor_start: int,
    anchor_end: int,
    loaded_from: int | None,
    loaded_until: int | None,
) -> list[Need] | None:
    """The bookings that interact with a booking ``[anchor_start, anchor_end)``.

    ``needs`` are the bookings loaded for ``[loaded_from, loaded_until]`` (``None``: everything on
    that side was loaded). Returns ``None`` when the component may reach past what was loaded, so
    the caller should load a wider window and ask again.
    """
    anchor = Need(NEW_BOOKING_ID, anchor_start, anchor_end, 0, 0)
    for component in split_components(cars, [*needs, anchor], buffer):
        if any(need.id == NEW_BOOKING_ID for need in component):
            break
    else:  # pragma: no cover - the anchor is always in some component
        raise AssertionError("anchor lost")
    first = min(need.start for need in component)
    last_free = max(free_after(need, buffer) for need in component)
    # At an edge of what was loaded, the unloaded bookings beyond it must be out of reach.
    at_left_edge = not any(need.start < first for need in needs)
    cut_ok = _resetter(cars)
    if loaded_from is not None and at_left_edge and not cut_ok(loaded_from, first):
        return None
    at_right_edge = not any(need.start >= last_free for need in needs)
    if loaded_until is not None and at_right_edge and not cut_ok(last_free, loaded_until):
        return None
    return [need for need in component if need.id != NEW_BOOKING_ID]
