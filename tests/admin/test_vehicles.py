"""Fiona blocks, returns and retires cars; bookings move to other cars or residents are told."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.admin.models import LogEntry
from django.core import mail
from django.urls import reverse

from sharing.models import BookingStatus, MaintenanceBlock, Vehicle, VehicleStatus
from tests.admin.conftest import NOW, book
from tests.factories import VehicleFactory

CHANGELIST = reverse("admin:sharing_vehicle_changelist")
TOMORROW = NOW + timedelta(days=1)


def _block(client, cars, **extra):
    data = {
        "action": "block_for_maintenance",
        "_selected_action": [cars[0].pk],
        "apply": "1",
        "start": (TOMORROW - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "end": (TOMORROW + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
        "reason": "brakes",
        **extra,
    }
    return client.post(CHANGELIST, data, follow=True)


def test_vehicle_list_shows_bay_charge_and_next_booking(admin_client, hub, cars, resident):
    booking = book(resident, hub, start=TOMORROW, vehicle=cars[0])

    response = admin_client.get(CHANGELIST)

    body = response.content.decode()
    assert response.status_code == 200
    assert cars[0].plate in body
    assert "B00" in body
    assert "20.00 kWh (38%)" in body
    assert f"#{booking.pk}" in body


def test_vehicle_changelist_queries_stay_flat_with_500_cars(
    admin_client, hub, resident, django_assert_max_num_queries
):
    model = Vehicle.objects.filter(hub=hub).earliest("pk").model
    VehicleFactory.create_batch(500, hub=hub, model=model)

    with django_assert_max_num_queries(12):
        response = admin_client.get(CHANGELIST + "?all=")

    assert response.status_code == 200
    assert response.content.decode().count('class="action-select"') >= 100


def test_block_for_maintenance_asks_for_the_window_first(admin_client, cars):
    response = admin_client.post(
        CHANGELIST, {"action": "block_for_maintenance", "_selected_action": [cars[0].pk]}
    )

    assert response.status_code == 200
    assert b'name="start"' in response.content
    assert not MaintenanceBlock.objects.exists()


def test_block_for_maintenance_moves_the_booking_to_another_car(
    admin_client, hub, cars, resident, django_capture_on_commit_callbacks, replans
):
    booking = book(resident, hub, start=TOMORROW, vehicle=cars[0])

    with django_capture_on_commit_callbacks(execute=True):
        response = _block(admin_client, cars)

    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOUND
    assert booking.vehicle_id in {cars[1].pk, cars[2].pk}
    assert MaintenanceBlock.objects.get(vehicle=cars[0]).reason == "brakes"
    assert "re-assigned" in response.content.decode()
    assert booking.vehicle_changes.filter(old_vehicle=cars[0]).exists()
    assert LogEntry.objects.filter(object_id=str(cars[0].pk), change_message__contains="Blocked")
    assert LogEntry.objects.filter(
        object_id=str(booking.pk), change_message__contains="re-assigned"
    )
    assert replans.signals.called  # energy hears of it and re-plans


def test_block_lists_bookings_no_car_can_keep_and_tells_the_residents(
    admin_client, hub, cars, resident, neighbour, django_capture_on_commit_callbacks
):
    mine = book(resident, hub, start=TOMORROW, vehicle=cars[0])
    book(neighbour, hub, start=TOMORROW - timedelta(hours=1), hours=4, vehicle=cars[1])
    book(neighbour, hub, start=TOMORROW - timedelta(hours=1), hours=4, vehicle=cars[2])

    with django_capture_on_commit_callbacks(execute=True):
        response = _block(admin_client, cars)

    body = response.content.decode()
    mine.refresh_from_db()
    assert mine.vehicle_id is None
    assert mine.status == BookingStatus.CONFIRMED
    assert f"no car can keep booking #{mine.pk} of alice@example.org" in body
    notices = [m for m in mail.outbox if m.to == ["alice@example.org"]]
    assert len(notices) == 1
    assert "needs another time" in notices[0].subject
    assert LogEntry.objects.filter(object_id=str(mine.pk), change_message__contains="notified")


def test_block_with_end_before_start_changes_nothing(admin_client, cars):
    response = _block(
        admin_client,
        cars,
        end=(TOMORROW - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
    )

    assert "End must be after the start." in response.content.decode()
    assert not MaintenanceBlock.objects.exists()


def test_return_to_service_ends_the_maintenance_now(admin_client, cars):
    MaintenanceBlock.objects.create(
        vehicle=cars[0], start=NOW - timedelta(hours=1), end=NOW + timedelta(days=2)
    )
    MaintenanceBlock.objects.create(
        vehicle=cars[0], start=NOW + timedelta(days=3), end=NOW + timedelta(days=4)
    )
    Vehicle.objects.filter(pk=cars[0].pk).update(status=VehicleStatus.MAINTENANCE)

    admin_client.post(CHANGELIST, {"action": "return_to_service", "_selected_action": [cars[0].pk]})

    cars[0].refresh_from_db()
    assert cars[0].status == VehicleStatus.ACTIVE
    assert list(MaintenanceBlock.objects.values_list("end", flat=True)) == [NOW]
    assert LogEntry.objects.filter(change_message="Returned to service").count() == 1


def test_retire_moves_future_bookings_and_refuses_a_car_on_the_road(
    admin_client, hub, cars, resident, neighbour
):
    later = book(resident, hub, start=TOMORROW, vehicle=cars[0])
    book(neighbour, hub, start=NOW - timedelta(hours=1), vehicle=cars[1], status="active")

    response = admin_client.post(
        CHANGELIST,
        {"action": "retire", "_selected_action": [cars[0].pk, cars[1].pk]},
        follow=True,
    )

    body = response.content.decode()
    later.refresh_from_db()
    cars[0].refresh_from_db()
    cars[1].refresh_from_db()
    assert cars[0].status == VehicleStatus.RETIRED
    assert later.vehicle_id in {cars[1].pk, cars[2].pk}
    assert cars[1].status == VehicleStatus.ACTIVE
    assert f"{cars[1].plate} is on the road." in body
