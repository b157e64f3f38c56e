"""While another booking holds the hub lock, booking_create checks first without it and decides
under it: what changed in between (another booking, a car leaving service) decides, never the
first look."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from sharing import feasibility as fz
from sharing.car_cache import car_rows
from sharing.models import Booking, Vehicle, VehicleStatus
from sharing.selectors.book import availability
from sharing.services import BookingUnavailable, booking_create, bookings
from sharing.snapshot import snapshot
from tests.sharing.conftest import NOW

H = timedelta(hours=1)


def book(resident, hub, start, km=50, **kw):
    return booking_create(
        resident=resident, hub=hub, start=start, end=start + 2 * H, promised_range_km=km, **kw
    )


@pytest.fixture
def before_the_lock(monkeypatch):
    """Another booking holds the hub lock (so the optimistic check runs); an action runs right
    after that check, before the lock is taken."""
    actions: list[Callable[[], object]] = []
    real = bookings.snapshot
    monkeypatch.setattr(bookings, "try_lock_hub", lambda hub: None)

    def snapshot_then_act(*args, **kwargs):
        state = real(*args, **kwargs)
        if kwargs.get("cached"):
            check = state.check_new

            def check_then_act(*a, **kw):
                result = check(*a, **kw)
                while actions:
                    actions.pop()()
                return result

            state.check_new = check_then_act  # type: ignore[method-assign]
        return state

    monkeypatch.setattr(bookings, "snapshot", snapshot_then_act)
    return actions.append


@pytest.mark.django_db
def test_a_booking_made_between_the_first_look_and_the_lock_wins(
    resident, neighbour, hub, car, frozen, before_the_lock
):
    start = NOW + 3 * H
    before_the_lock(lambda: book(neighbour, hub, start))
    with pytest.raises(BookingUnavailable):
        book(resident, hub, start)
    assert list(Booking.objects.values_list("resident", flat=True)) == [neighbour.pk]


@pytest.mark.django_db
def test_a_car_out_of_service_the_cache_has_not_heard_of_is_not_booked(
    resident, hub, car, frozen, before_the_lock
):
    start = NOW + 3 * H
    car_rows(hub, NOW, cached=True)  # the cache knows the car as in service
    # Changed behind the cache's back (no announcement): only a fresh read can know.
    before_the_lock(
        lambda: Vehicle.objects.filter(pk=car.pk).update(status=VehicleStatus.MAINTENANCE)
    )
    with pytest.raises(BookingUnavailable):
        book(resident, hub, start)
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_the_first_look_is_only_verified_when_nothing_changed(resident, hub, car, frozen):
    start = NOW + 3 * H
    book(resident, hub, start)  # an unbound booking of the only car
    later = start + 4 * H
    state = snapshot(hub, NOW, cached=True)
    first = state.check_new(later, later + H, 20, 20)
    assert first.feasible
    checked = snapshot(hub, NOW).check_new(later, later + H, 20, 20, hint=first.assignment)
    assert checked.feasible and checked.method == "hint"
    # A hint that leaves a booking out, or puts it on a car that cannot serve it, is not
    # trusted: the check searches as if there were none.
    partial = {fz.NEW_BOOKING_ID: car.pk}
    again = snapshot(hub, NOW).check_new(later, later + H, 20, 20, hint=partial)
    assert again.feasible and again.method != "hint"
    clash = snapshot(hub, NOW).check_new(start, start + H, 20, 20, hint=first.assignment)
    assert not clash.feasible


@pytest.mark.django_db
def test_availability_and_booking_agree_after_the_change(resident, neighbour, hub, car, frozen):
    start = NOW + 3 * H
    assert availability(hub=hub, start=start, end=start + 2 * H, range_km=50).available
    book(neighbour, hub, start)
    assert not availability(hub=hub, start=start, end=start + 2 * H, range_km=50).available
    with pytest.raises(BookingUnavailable):
        book(resident, hub, start)


def _at_once(count, post):
    barrier = threading.Barrier(count)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def attempt(index):
        try:
            barrier.wait()
            response = post(index)
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _body(hub, start):
    return {
        "hub": hub.slug,
        "start": start.isoformat(),
        "end": (start + 2 * H).isoformat(),
        "promised_range_km": 100,
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_submit_twice_at_once_books_once(resident, hub, car, frozen):
    """Both see no booking with the key; the second, under the lock, finds the car taken by the
    first and answers with the first's booking instead of a conflict."""
    start = NOW + 3 * H
    clients = []
    for _ in range(2):
        client = APIClient()
        client.force_authenticate(resident)
        clients.append(client)
    results = _at_once(
        2,
        lambda i: clients[i].post(
            reverse("api-booking-list"),
            _body(hub, start),
            format="json",
            HTTP_IDEMPOTENCY_KEY="same-submit",
        ),
    )
    assert sorted(code for code, _ in results) in ([200, 201], [201, 201])
    assert len({data["id"] for _, data in results}) == 1
    assert Booking.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_booking_that_finds_the_hub_locked_checks_while_it_waits(
    resident, hub, car, frozen, monkeypatch
):
    looks: list[bool] = []
    real = bookings.snapshot

    def spy(*args, **kwargs):
        looks.append(bool(kwargs.get("cached")))
        return real(*args, **kwargs)

    monkeypatch.setattr(bookings, "snapshot", spy)
    book(resident, hub, NOW + 3 * H)
    assert looks == [False]  # nobody else: straight to the lock, one (fresh) look

    held, release = threading.Event(), threading.Event()

    def other_writer():
        try:
            with transaction.atomic():
                bookings.lock_hub(hub)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    writer = threading.Thread(target=other_writer)
    writer.start()
    held.wait(10)
    looks.clear()
    threading.Timer(0.5, release.set).start()
    booking = book(resident, hub, NOW + 8 * H)
    writer.join()
    assert looks == [True, False]  # the optimistic look while waiting, then the fresh one
    assert booking.pk and Booking.objects.count() == 2
