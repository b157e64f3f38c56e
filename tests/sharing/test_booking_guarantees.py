"""What must never happen: overlaps of a car, double booking of the last car."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from sharing.models import Booking, BookingStatus
from sharing.selectors.book import availability
from sharing.services import BookingUnavailable, booking_create
from tests.factories import UserFactory
from tests.sharing.conftest import NOW

H = timedelta(hours=1)


@pytest.mark.postgres
@pytest.mark.django_db
def test_exclusion_constraint_rejects_overlap_without_application_check(resident, hub, car):
    start = NOW + 2 * H
    fields = {
        "resident": resident,
        "household": resident.household,
        "hub": hub,
        "promised_range_km": 10,
        "expected_km": 10,
        "vehicle": car,
        "status": BookingStatus.BOUND,
    }

    def block(begin):
        return {"block_start": begin - hub.buffer, "block_end": begin + H + hub.buffer}

    Booking.objects.create(start=start, end=start + H, **block(start), **fields)
    # Blocks are [start - buffer, end + buffer): a start one buffer after the end still overlaps.
    for later in (start + H + timedelta(minutes=10), start + H + hub.buffer):
        with pytest.raises(IntegrityError), transaction.atomic():
            Booking.objects.create(start=later, end=later + H, **block(later), **fields)
    # A confirmed (unbound) booking rebound by a raw update is rejected too.
    other = Booking.objects.create(
        **{**fields, "vehicle": None, "status": BookingStatus.CONFIRMED},
        start=start,
        end=start + H,
        **block(start),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=other.pk).update(vehicle=car, status=BookingStatus.BOUND)
    # Two buffers after the end the blocks touch, which is fine.
    ok = start + H + 2 * hub.buffer
    Booking.objects.create(start=ok, end=ok + H, **block(ok), **fields)


@pytest.mark.django_db
def test_one_car_books_again_two_buffers_after_the_end_not_one(resident, hub, car, frozen):
    """Booking, availability and the stored block follow [start - buffer, end + buffer)."""
    first = booking_create(
        resident=resident, hub=hub, start=NOW + 2 * H, end=NOW + 3 * H, promised_range_km=10
    )
    assert (first.block_start, first.block_end) == (
        first.start - hub.buffer,
        first.end + hub.buffer,
    )
    too_soon = first.end + hub.buffer
    assert not availability(hub=hub, start=too_soon, end=too_soon + H, range_km=10).available
    with pytest.raises(BookingUnavailable):
        booking_create(
            resident=resident, hub=hub, start=too_soon, end=too_soon + H, promised_range_km=10
        )
    just_in_time = first.end + 2 * hub.buffer
    assert availability(hub=hub, start=just_in_time, end=just_in_time + H, range_km=10).available
    booking_create(
        resident=resident,
        hub=hub,
        start=just_in_time,
        end=just_in_time + H,
        promised_range_km=10,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_residents_take_the_last_car_at_once(hub, car, frozen):
    """Every first look finds the car free; under the lock only the first booking stands."""
    residents = [UserFactory.create() for _ in range(50)]
    start = NOW + 3 * H
    assert availability(hub=hub, start=start, end=start + 2 * H, range_km=100).available
    body = {
        "hub": hub.slug,
        "start": start.isoformat(),
        "end": (start + 2 * H).isoformat(),
        "promised_range_km": 100,
    }
    barrier = threading.Barrier(50)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def attempt(user):
        try:
            client = APIClient()
            client.force_authenticate(user)
            barrier.wait()
            response = client.post(reverse("api-booking-list"), body, format="json")
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in residents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(code for code, _ in results)
    assert codes.count(201) == 1
    assert codes.count(409) == 49
    assert all("no longer available" in data["detail"] for code, data in results if code == 409)
    assert Booking.objects.count() == 1
    assert Booking.objects.get().status == BookingStatus.CONFIRMED
