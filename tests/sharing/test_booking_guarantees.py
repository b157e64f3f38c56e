"""What must never happen: overlaps of a car, double booking of the last car."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from sharing.models import Booking, BookingStatus
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
    Booking.objects.create(
        start=start, end=start + H, block_start=start, block_end=start + H + hub.buffer, **fields
    )
    # Starts 10 minutes after the first one's end: inside the turnaround buffer.
    later = start + H + timedelta(minutes=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            start=later,
            end=later + H,
            block_start=later,
            block_end=later + H + hub.buffer,
            **fields,
        )
    # A confirmed (unbound) booking rebound by a raw update is rejected too.
    other = Booking.objects.create(
        **{**fields, "vehicle": None, "status": BookingStatus.CONFIRMED},
        start=start,
        end=start + H,
        block_start=start,
        block_end=start + H + hub.buffer,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=other.pk).update(vehicle=car, status=BookingStatus.BOUND)
    # Exactly at the buffer's end is fine.
    ok = start + H + hub.buffer
    Booking.objects.create(
        start=ok, end=ok + H, block_start=ok, block_end=ok + H + hub.buffer, **fields
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_residents_take_the_last_car_at_once(hub, car, frozen):
    residents = [UserFactory.create() for _ in range(50)]
    start = NOW + 3 * H
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
