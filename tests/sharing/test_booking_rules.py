"""Every booking rule at its boundary, through the service and through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import LicenceStatus
from sharing.models import Booking
from sharing.rules import price_estimate
from sharing.services import booking_cancel, booking_create
from tests.factories import UserFactory
from tests.sharing.conftest import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def book(resident, hub, start, end, km=50, **kw):
    return booking_create(
        resident=resident, hub=hub, start=start, end=end, promised_range_km=km, now=NOW, **kw
    )


def errors_of(call):
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def test_shortest_booking_is_30_minutes(resident, hub, car):
    start = NOW + 2 * H
    assert book(resident, hub, start, start + timedelta(minutes=30)).pk
    messages = errors_of(
        lambda: book(resident, hub, start + 3 * H, start + 3 * H + timedelta(minutes=15))
    )
    assert "at least 30 minutes" in messages["end"][0]


def test_longest_booking_is_72_hours(resident, hub, car):
    start = NOW + 2 * H
    messages = errors_of(
        lambda: book(resident, hub, start, start + timedelta(hours=72, minutes=15))
    )
    assert "at most 72 hours" in messages["end"][0]
    assert book(resident, hub, start, start + 72 * H).pk


def test_at_most_60_days_ahead(resident, hub, car):
    start = NOW + timedelta(days=60)
    assert book(resident, hub, start, start + H).pk
    later = start + timedelta(minutes=15)
    assert "60 days ahead" in errors_of(lambda: book(resident, hub, later, later + H))["start"][0]


def test_max_range_and_one_km_more(resident, hub, car):
    start = NOW + 2 * H
    assert book(resident, hub, start, start + H, km=300).promised_range_km == 300
    messages = errors_of(lambda: book(resident, hub, start + 5 * H, start + 6 * H, km=301))
    assert "at most 300 km" in messages["promised_range_km"][0]
    messages = errors_of(lambda: book(resident, hub, start + 5 * H, start + 6 * H, km=10_000))
    assert "at most 300 km" in messages["promised_range_km"][0]


def test_off_grid_past_and_reversed(resident, hub, car):
    start = NOW + 2 * H
    assert (
        "15-minute step"
        in errors_of(lambda: book(resident, hub, start + timedelta(minutes=5), start + H))["start"][
            0
        ]
    )
    assert "after the start" in errors_of(lambda: book(resident, hub, start, start - H))["end"][0]
    assert "in the past" in errors_of(lambda: book(resident, hub, NOW - H, NOW + H))["start"][0]
    assert not Booking.objects.exists()


def test_fair_use_open_bookings_boundary(resident, hub):
    for i in range(3):
        from tests.factories import VehicleFactory

        VehicleFactory.create(hub=hub, plate=f"FU-{i}")
    start = NOW + 2 * H
    book(resident, hub, start, start + H)
    book(resident, hub, start + 2 * H, start + 3 * H)  # 2 open: the limit
    messages = errors_of(lambda: book(resident, hub, start + 4 * H, start + 5 * H))
    assert "2 open bookings" in messages["non_field_errors"][0]


def test_fair_use_hours_per_week_boundary(resident, hub, car):
    hub.max_hours_per_week_per_household = 4
    hub.save()
    start = NOW + 2 * H  # Tuesday
    book(resident, hub, start, start + 3 * H)
    book(resident, hub, start + 4 * H, start + 5 * H)  # 4 h in the week: ok
    Booking.objects.update(status="completed")  # not open any more, still counted
    messages = errors_of(
        lambda: book(resident, hub, start + 6 * H, start + 6 * H + timedelta(minutes=30))
    )
    assert "4 hours per week" in messages["end"][0]


def test_fair_use_counts_each_week_a_booking_touches(resident, hub, car):
    """A booking over Sunday night counts its hours in both local weeks, each on its own."""
    hub.max_hours_per_week_per_household = 4
    hub.max_concurrent_bookings_per_household = 5
    hub.save()
    monday = datetime(2026, 12, 7, 0, 0, tzinfo=hub.tz)  # the next week starts here
    book(resident, hub, monday + 2 * H, monday + 5 * H)  # 3 h in the second week
    # Sunday 22:00 to Monday 01:00: 2 h in the first week, 1 h in the second (4 h: the limit).
    book(resident, hub, monday - 2 * H, monday + H)
    messages = errors_of(
        lambda: book(resident, hub, monday + 10 * H, monday + 10 * H + timedelta(minutes=30))
    )
    assert "4 hours per week" in messages["end"][0]
    # Sunday afternoon counts in the first week only: 2 + 1 h.
    assert book(resident, hub, monday - 6 * H, monday - 5 * H).pk


def test_licence_not_approved_cannot_book(hub, car):
    pending = UserFactory.create(licence_status=LicenceStatus.PENDING)
    expired = UserFactory.create(licence_expires_on=NOW.date() - timedelta(days=1))
    for user in (pending, expired):
        messages = errors_of(lambda user=user: book(user, hub, NOW + 2 * H, NOW + 3 * H))
        assert "licence" in messages["resident"][0]


def test_free_cancel_boundary(resident, hub, car):
    start = NOW + 30 * H
    first = book(resident, hub, start, start + H)
    second = book(resident, hub, start + 2 * H, start + 3 * H)
    assert booking_cancel(booking=first, now=start - 24 * H).fee == Decimal("0.00")
    late = booking_cancel(booking=second, now=second.start - 24 * H + timedelta(seconds=1))
    assert late.fee == hub.late_cancel_fee


def test_price_estimate_is_decimal_capped_per_day(hub):
    start = NOW + 2 * H
    assert price_estimate(hub=hub, start=start, end=start + 2 * H, expected_km=10) == Decimal(
        "10.20"
    )
    # 30 h: one day at the cap, 6 h at 4.50 = 27 (below the cap)
    assert price_estimate(hub=hub, start=start, end=start + 30 * H, expected_km=0) == Decimal(
        "72.00"
    )
    # 20 h of hourly rate would be 90: capped at the day rate
    price = price_estimate(hub=hub, start=start, end=start + 20 * H, expected_km=3)
    assert price == Decimal("45.36")
    assert isinstance(price, Decimal)


@pytest.mark.parametrize(
    ("day", "hours"),
    [("2026-03-29", 3), ("2026-10-25", 5)],
)
def test_clock_change_days(resident, hub, car, day, hours):
    """00:00-04:00 local on a clock-change day lasts 3 h (spring) or 5 h (autumn)."""
    with time_machine.travel(
        datetime(2026, 3, 1, 9, tzinfo=UTC)
        if day.startswith("2026-03")
        else datetime(2026, 10, 1, 9, tzinfo=UTC),
        tick=False,
    ):
        from django.utils import timezone

        now = timezone.now()
        tz = hub.tz
        y, m, d = map(int, day.split("-"))
        start = datetime(y, m, d, 0, 0, tzinfo=tz)
        end = datetime(y, m, d, 4, 0, tzinfo=tz)
        booking = booking_create(
            resident=resident, hub=hub, start=start, end=end, promised_range_km=0, now=now
        )
        assert booking.end.astimezone(UTC) - booking.start.astimezone(UTC) == timedelta(hours=hours)
        assert booking.price_estimate == hub.hourly_rate * hours


@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-03-29T02:30", "does not exist"), ("2026-10-25T02:30", "happens twice")],
)
def test_clock_change_local_times_through_api(api, hub, car, value, message):
    with time_machine.travel(datetime(2026, 3, 1, 9, tzinfo=UTC), tick=False):
        response = api.post(
            reverse("api-booking-list"),
            {"hub": hub.slug, "start": value, "end": value[:11] + "05:00", "promised_range_km": 10},
            format="json",
        )
    assert response.status_code == 400
    assert message in response.json()["start"][0]


def test_local_time_without_offset_is_the_hubs(api, hub, car):
    with time_machine.travel(datetime(2026, 10, 1, 9, tzinfo=UTC), tick=False):
        response = api.post(
            reverse("api-booking-list"),
            {
                "hub": hub.slug,
                "start": "2026-10-25T03:00",
                "end": "2026-10-25T05:00",
                "promised_range_km": 10,
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    booking = Booking.objects.get()
    assert booking.start == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
