"""Binding, pick-up, return, late returns, no-shows, reminders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from sharing import signals
from sharing.models import BookingStatus, Trip
from sharing.services import (
    booking_bind_vehicle,
    booking_create,
    booking_pick_up,
    booking_return,
    bookings_bind_due,
    bookings_flag_late_returns,
    bookings_mark_no_show,
    bookings_send_reminders,
)
from tests.factories import UserFactory, VehicleFactory
from tests.sharing.conftest import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def test_full_lifecycle(resident, hub, car, django_capture_on_commit_callbacks):
    received = []
    signals.booking_changed.connect(
        lambda **kw: received.append(kw["reason"]), weak=False, dispatch_uid="t"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            booking = booking_create(
                resident=resident,
                hub=hub,
                start=NOW + H,
                end=NOW + 3 * H,
                promised_range_km=40,
                now=NOW,
            )
            assert bookings_send_reminders(now=NOW) == [booking.pk]
            assert bookings_send_reminders(now=NOW) == []
            bound = bookings_bind_due(hub=hub, now=NOW + 40 * timedelta(minutes=1))
            assert [b.pk for b in bound] == [booking.pk]
            trip = booking_pick_up(booking=booking, now=NOW + H, soc_percent=Decimal(90))
            trip = booking_return(
                booking=booking, now=NOW + 3 * H, odometer_km=35, soc_percent=Decimal(75)
            )
    finally:
        signals.booking_changed.disconnect(dispatch_uid="t")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED
    assert Trip.objects.get().km == 35 and trip.kwh_used == Decimal("7.80")
    assert [m.subject.split(":")[0] for m in mail.outbox][:3] == [
        "Booking confirmed",
        "Reminder",
        "Your car",
    ]
    assert received == ["booking created", "car bound", "picked up", "returned"]


def test_bind_refuses_a_car_that_cannot_keep_the_promise(resident, hub, car):
    small = VehicleFactory.create(
        hub=hub,
        plate="SMALL",
        model__make="Nissan",
        model__model="Leaf 40",
        model__usable_battery_kwh=10,
        model__max_promised_range_km=300,
    )
    booking = booking_create(
        resident=resident, hub=hub, start=NOW + H, end=NOW + 2 * H, promised_range_km=200, now=NOW
    )
    with pytest.raises(ValidationError) as caught:
        booking_bind_vehicle(booking=booking, vehicle=small, reason="test", now=NOW)
    assert "cannot keep" in caught.value.message_dict["vehicle"][0]
    booking_bind_vehicle(booking=booking, vehicle=car, reason="test", now=NOW)
    assert booking.vehicle_changes.count() == 1


def _late_setup(resident, hub, car):
    first = booking_create(
        resident=resident, hub=hub, start=NOW + H, end=NOW + 2 * H, promised_range_km=20, now=NOW
    )
    other = UserFactory.create()
    second = booking_create(
        resident=other,
        hub=hub,
        start=NOW + 2 * H + timedelta(minutes=30),
        end=NOW + 4 * H,
        promised_range_km=20,
        now=NOW,
    )
    booking_bind_vehicle(booking=first, vehicle=car, reason="t", now=NOW)
    booking_pick_up(booking=first, now=NOW + H)
    booking_bind_vehicle(booking=second, vehicle=car, reason="t", now=NOW + H)
    return first, second


def test_late_return_rebinds_next_booking(resident, hub, car, django_capture_on_commit_callbacks):
    spare = VehicleFactory.create(hub=hub, plate="SPARE")
    first, second = _late_setup(resident, hub, car)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = bookings_flag_late_returns(now=NOW + 2 * H + timedelta(minutes=5))
    assert outcome == {first.pk: "rebound"}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.late_since is not None
    assert second.vehicle == spare
    assert mail.outbox[0].subject.startswith("Your car has changed")


def test_late_return_without_spare_notifies_next_resident_once(
    resident, hub, car, django_capture_on_commit_callbacks
):
    first, second = _late_setup(resident, hub, car)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert bookings_flag_late_returns(now=NOW + 2 * H + timedelta(minutes=5)) == {
            first.pk: "notified"
        }
        assert bookings_flag_late_returns(now=NOW + 2 * H + timedelta(minutes=10)) == {
            first.pk: "already notified"
        }
    assert len(mail.outbox) == 1 and "late" in mail.outbox[0].subject
    assert mail.outbox[0].to == [second.resident.email]


def test_no_show(resident, hub, car):
    booking = booking_create(
        resident=resident, hub=hub, start=NOW + H, end=NOW + 2 * H, promised_range_km=20, now=NOW
    )
    assert bookings_mark_no_show(now=NOW + H + timedelta(minutes=29)) == []
    assert bookings_mark_no_show(now=NOW + H + timedelta(minutes=30)) == [booking.pk]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW and booking.fee == hub.no_show_fee
