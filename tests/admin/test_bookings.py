"""Fiona cancels, binds and returns bookings by hand, watches late returns and exports a month."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

from django.contrib.admin.models import LogEntry
from django.core import mail
from django.urls import reverse

from accounts.models import User
from sharing.models import Booking, BookingStatus, Trip
from tests.admin.conftest import NOW, book
from tests.factories import HouseholdFactory

CHANGELIST = reverse("admin:sharing_booking_changelist")
TOMORROW = NOW + timedelta(days=1)


def test_booking_changelist_queries_stay_flat_with_500_bookings(
    admin_client, hub, cars, resident, django_assert_max_num_queries
):
    Booking.objects.bulk_create(
        [
            Booking(
                resident=resident,
                household_id=resident.household_id,
                hub=hub,
                start=NOW + timedelta(hours=3 * n),
                end=NOW + timedelta(hours=3 * n + 2),
                block_start=NOW + timedelta(hours=3 * n),
                block_end=NOW + timedelta(hours=3 * n + 2, minutes=15),
                promised_range_km=50,
                expected_km=40,
                vehicle=cars[n % 3],
                status=BookingStatus.BOUND,
            )
            for n in range(500)
        ]
    )

    with django_assert_max_num_queries(14):
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200


def test_search_by_resident_plate_and_date(admin_client, hub, cars, resident, neighbour):
    mine = book(resident, hub, start=TOMORROW, vehicle=cars[0])
    theirs = book(neighbour, hub, start=TOMORROW + timedelta(days=2))

    def found(q):
        response = admin_client.get(CHANGELIST, {"q": q})
        return {b.pk for b in response.context["cl"].result_list}

    assert found("alice@example") == {mine.pk}
    assert found("Bob de") == {theirs.pk}
    assert found(cars[0].plate) == {mine.pk}
    assert found(f"{TOMORROW + timedelta(days=2):%Y-%m-%d}") == {theirs.pk}


def test_change_page_shows_the_promise_the_car_and_its_history(admin_client, hub, cars, resident):
    booking = book(resident, hub, start=TOMORROW, vehicle=cars[0])
    booking.vehicle_changes.create(old_vehicle=None, new_vehicle=cars[0], reason="due for binding")

    response = admin_client.get(reverse("admin:sharing_booking_change", args=[booking.pk]))

    body = response.content.decode()
    assert "Promise" in body
    assert "due for binding" in body
    assert cars[0].plate in body


def test_cancel_with_notice_waives_the_fee_and_mails_the_resident(
    admin_client, hub, cars, resident, django_capture_on_commit_callbacks
):
    booking = book(resident, hub, start=NOW + timedelta(hours=3), vehicle=cars[0])

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            CHANGELIST, {"action": "cancel_with_notice", "_selected_action": [booking.pk]}
        )

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.fee == Decimal("0.00")
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]
    assert LogEntry.objects.get(object_id=str(booking.pk)).change_message.startswith("Cancelled")


def test_cancel_refuses_a_booking_on_the_road(admin_client, hub, cars, resident):
    booking = book(resident, hub, start=NOW - timedelta(hours=1), vehicle=cars[0], status="active")

    response = admin_client.post(
        CHANGELIST,
        {"action": "cancel_with_notice", "_selected_action": [booking.pk]},
        follow=True,
    )

    booking.refresh_from_db()
    assert booking.status == BookingStatus.ACTIVE
    assert "Only a booking that has not started can be cancelled." in response.content.decode()
    assert not LogEntry.objects.exists()


def test_bind_by_hand_shows_a_car_form_then_binds(admin_client, hub, cars, resident):
    booking = book(resident, hub, start=TOMORROW)

    page = admin_client.post(
        CHANGELIST, {"action": "bind_vehicle", "_selected_action": [booking.pk]}
    )
    assert page.status_code == 200
    assert cars[1].plate in page.content.decode()

    admin_client.post(
        CHANGELIST,
        {
            "action": "bind_vehicle",
            "_selected_action": [booking.pk],
            "apply": "1",
            "vehicle": cars[1].pk,
        },
    )

    booking.refresh_from_db()
    assert booking.vehicle_id == cars[1].pk
    assert booking.status == BookingStatus.BOUND
    assert LogEntry.objects.filter(change_message__contains=cars[1].plate).exists()


def test_binding_a_car_that_cannot_keep_the_promise_shows_why_and_changes_nothing(
    admin_client, hub, cars, resident, neighbour
):
    book(neighbour, hub, start=TOMORROW - timedelta(hours=1), hours=4, vehicle=cars[1])
    booking = book(resident, hub, start=TOMORROW, vehicle=cars[0])

    response = admin_client.post(
        CHANGELIST,
        {
            "action": "bind_vehicle",
            "_selected_action": [booking.pk],
            "apply": "1",
            "vehicle": cars[1].pk,
        },
    )

    assert response.status_code == 200
    assert f"{cars[1].plate} cannot keep this booking" in response.content.decode()
    booking.refresh_from_db()
    assert booking.vehicle_id == cars[0].pk
    assert not LogEntry.objects.exists()


def test_mark_returned_records_odometer_and_charge(admin_client, hub, cars, resident):
    booking = book(resident, hub, start=NOW - timedelta(hours=1), vehicle=cars[0], status="active")
    Trip.objects.create(
        booking=booking, vehicle=cars[0], picked_up_at=NOW - timedelta(hours=1), odometer_out_km=100
    )

    admin_client.post(
        CHANGELIST,
        {
            "action": "mark_returned",
            "_selected_action": [booking.pk],
            "apply": "1",
            "odometer_km": "142",
            "soc_percent": "55",
        },
    )

    booking.refresh_from_db()
    cars[0].refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED
    assert booking.trip.km == 42
    assert cars[0].odometer_km == 142
    assert LogEntry.objects.filter(change_message__startswith="Marked returned").exists()


def test_mark_returned_with_a_lower_odometer_shows_the_error(admin_client, hub, cars, resident):
    booking = book(resident, hub, start=NOW - timedelta(hours=1), vehicle=cars[0], status="active")
    Trip.objects.create(
        booking=booking, vehicle=cars[0], picked_up_at=NOW - timedelta(hours=1), odometer_out_km=100
    )

    response = admin_client.post(
        CHANGELIST,
        {
            "action": "mark_returned",
            "_selected_action": [booking.pk],
            "apply": "1",
            "odometer_km": "90",
            "soc_percent": "55",
        },
    )

    assert "The odometer cannot be lower than at pick-up." in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ACTIVE


def test_late_board_lists_the_late_car_the_endangered_booking_and_a_replacement(
    admin_client, hub, cars, resident, neighbour
):
    late = book(resident, hub, start=NOW - timedelta(hours=3), vehicle=cars[0], status="active")
    nxt = book(neighbour, hub, start=NOW + timedelta(minutes=30), vehicle=cars[0])

    response = admin_client.get(reverse("admin:sharing_booking_late"))

    rows = response.context["rows"]
    assert [(r.late.pk, r.endangered.pk) for r in rows] == [(late.pk, nxt.pk)]
    assert rows[0].overdue_minutes == 60
    assert rows[0].suggestion in {cars[1], cars[2]}
    assert f"Give it {rows[0].suggestion.plate}" in response.content.decode()


def test_admin_index_links_to_the_fleet_tools(admin_client):
    body = admin_client.get(reverse("admin:index")).content.decode()

    assert reverse("admin:sharing_booking_late") in body
    assert reverse("admin:energy_priceslot_upload") in body


def test_monthly_csv_lists_bookings_per_household_with_decimal_money(
    admin_client, hub, cars, resident, neighbour
):
    done = book(resident, hub, start=NOW - timedelta(days=3), vehicle=cars[0], status="completed")
    Trip.objects.create(
        booking=done,
        vehicle=cars[0],
        picked_up_at=done.start,
        returned_at=done.end,
        odometer_out_km=100,
        odometer_in_km=130,
    )
    no_show = book(neighbour, hub, start=NOW - timedelta(days=2), status="no_show")
    Booking.objects.filter(pk=no_show.pk).update(fee=Decimal("15.00"))
    book(resident, hub, start=NOW + timedelta(days=40), status="completed")  # next month

    response = admin_client.get(reverse("admin:sharing_booking_report"), {"month": "2026-11"})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_booking = {r["booking_id"]: r for r in rows if r["household"] != "TOTAL"}
    assert set(by_booking) == {str(done.pk), str(no_show.pk)}
    # 2 h at 4.50 plus 30 km at 0.12
    assert by_booking[str(done.pk)]["time_and_km_eur"] == "12.60"
    assert by_booking[str(done.pk)]["trip_km"] == "30"
    assert by_booking[str(no_show.pk)]["amount_eur"] == "15.00"
    totals = {r["address"]: r["amount_eur"] for r in rows if r["household"] == "TOTAL"}
    assert totals == {"Wisselspoor 1": "12.60", "Wisselspoor 2": "15.00"}


def test_monthly_csv_form_refuses_a_bad_month(admin_client):
    response = admin_client.get(reverse("admin:sharing_booking_report"), {"month": "2026-13"})

    assert response.status_code == 200
    assert "Give a month as YYYY-MM." in response.content.decode()


def test_users_changelist_queries_stay_flat_with_500_users(
    admin_client, django_assert_max_num_queries
):
    household = HouseholdFactory.create()
    User.objects.bulk_create(
        [
            User(
                email=f"r{n}@example.org",
                household=household,
                pseudonym=f"p-{n}",
                calendar_token=f"t-{n}",
            )
            for n in range(500)
        ]
    )

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("admin:accounts_user_changelist"))

    assert response.status_code == 200
