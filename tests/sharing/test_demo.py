from __future__ import annotations

import pytest

from sharing.demo import seed_sharing_demo
from sharing.models import Booking, Vehicle, VehiclePhoto
from tests.factories import UserFactory
from tests.sharing.conftest import NOW

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent(frozen):
    residents = [UserFactory.create() for _ in range(4)]
    households = [r.household for r in residents]
    first = seed_sharing_demo(households=households, residents=residents, now=NOW)
    count = Booking.objects.count()
    second = seed_sharing_demo(households=households, residents=residents, now=NOW)
    assert first["vehicles"] == 20 and first["bays"] == 30 and count > 0
    assert second["bookings_created"] == 0 and Booking.objects.count() == count
    assert Vehicle.objects.count() == 20
    # Every demo car has its model's drawing: three models, three different photos.
    assert VehiclePhoto.objects.count() == 20
    assert len({bytes(p.jpeg) for p in VehiclePhoto.objects.all()}) == 3
