"""Custom pages of the sharing admin: the late-returns board and the monthly CSV.

The pages only read (through small query helpers here) or call a service; the admin site wraps
them with ``admin_view`` so only staff get in. ``MonthForm``, ``month_bounds`` and
``stream_csv`` also serve the energy and grid admins' monthly reports.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sharing.admin.scope import scope
from sharing.models import Booking, BookingStatus, Vehicle
from sharing.rules import price_estimate
from sharing.snapshot import snapshot

ZERO = Decimal("0.00")


# --- the month of a report ---------------------------------------------------------------------


class MonthForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        widget=forms.DateInput(attrs={"type": "month"}),
        help_text=_("YYYY-MM"),
    )

    def clean_month(self) -> date:
        raw = self.cleaned_data["month"].strip()
        try:
            return date.fromisoformat(f"{raw}-01")
        except ValueError:
            raise forms.ValidationError(_("Give a month as YYYY-MM.")) from None


def month_bounds(first: date) -> tuple[datetime, datetime]:
    """The month in the site's time zone, as aware datetimes ``[start, end)``."""
    tz = timezone.get_current_timezone()
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return (
        datetime.combine(first.replace(day=1), time(), tzinfo=tz),
        datetime.combine(nxt, time(), tzinfo=tz),
    )


# --- late returns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LateRow:
    late: Booking
    overdue_minutes: int
    endangered: Booking | None
    suggestion: Vehicle | None


def late_returns(request: HttpRequest, *, now: datetime | None = None) -> list[LateRow]:
    """Cars on the road past their end, the next booking each endangers and a car for it.

    The suggested car comes from a feasibility witness that keeps every promise without the
    late car; ``None`` means no car can keep the endangered booking's promise right now.
    """
    now = now or timezone.now()
    late = list(
        scope(Booking.objects.all(), request)
        .filter(status=BookingStatus.ACTIVE, end__lt=now)
        .select_related("hub", "resident", "vehicle__model")
        .order_by("end")
    )
    following: dict[int, Booking] = {}
    vehicle_ids = [b.vehicle_id for b in late if b.vehicle_id is not None]
    for nxt in (
        Booking.objects.filter(
            vehicle_id__in=vehicle_ids,
            status=BookingStatus.BOUND,
            start__gte=min((b.start for b in late), default=now),
        )
        .select_related("resident", "hub")
        .order_by("start")
    ):
        assert nxt.vehicle_id is not None
        following.setdefault(nxt.vehicle_id, nxt)
    cars = {v.pk: v for v in Vehicle.objects.filter(hub__in={b.hub_id for b in late})}
    rows = []
    for booking in late:
        endangered = following.get(booking.vehicle_id) if booking.vehicle_id else None
        suggestion = None
        if endangered is not None:
            result = snapshot(booking.hub, now, exclude=[endangered.pk]).check_booking(
                endangered, forbidden=[booking.vehicle_id] if booking.vehicle_id else []
            )
            car_id = result.assignment.get(endangered.pk) if result.feasible else None
            suggestion = cars.get(car_id) if car_id is not None else None
        rows.append(
            LateRow(
                late=booking,
                overdue_minutes=int((now - booking.end).total_seconds() // 60),
                endangered=endangered,
                suggestion=suggestion,
            )
        )
    return rows


# --- monthly invoicing CSV ---------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


BOOKING_COLUMNS = [
    "household_id",
    "household",
    "address",
    "booking_id",
    "resident",
    "hub",
    "start",
    "end",
    "status",
    "vehicle",
    "promised_range_km",
    "trip_km",
    "kwh_used",
    "time_and_km_eur",
    "fee_eur",
    "amount_eur",
]


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def booking_amount(booking: Booking) -> tuple[Decimal, Decimal]:
    """Time and distance charged (completed bookings, at the driven km) and the fee."""
    if booking.status != BookingStatus.COMPLETED:
        return ZERO, booking.fee
    trip = getattr(booking, "trip", None)
    km = trip.km if trip is not None and trip.km is not None else booking.expected_km
    usage = price_estimate(hub=booking.hub, start=booking.start, end=booking.end, expected_km=km)
    return usage, booking.fee


def month_bookings(request: HttpRequest, first: date) -> QuerySet[Booking]:
    lo, hi = month_bounds(first)
    return (
        scope(Booking.objects.all(), request)
        .filter(start__gte=lo, start__lt=hi)
        .exclude(status__in=[BookingStatus.CONFIRMED, BookingStatus.BOUND])
        .select_related("household", "resident", "hub", "vehicle", "trip")
        .order_by("household__address", "start", "pk")
    )


def booking_csv_rows(bookings: QuerySet[Booking]) -> Iterator[list[str]]:
    yield BOOKING_COLUMNS
    totals: dict[int, tuple[str, Decimal]] = {}
    for booking in bookings.iterator(chunk_size=500):
        usage, fee = booking_amount(booking)
        trip = getattr(booking, "trip", None)
        local = timezone.localtime
        yield [
            str(booking.household_id),
            booking.household.name,
            booking.household.address,
            str(booking.pk),
            booking.resident.email,
            booking.hub.slug,
            local(booking.start).isoformat(),
            local(booking.end).isoformat(),
            booking.status,
            booking.vehicle.plate if booking.vehicle else "",
            str(booking.promised_range_km),
            "" if trip is None or trip.km is None else str(trip.km),
            "" if trip is None or trip.kwh_used is None else str(trip.kwh_used),
            _money(usage),
            _money(fee),
            _money(usage + fee),
        ]
        name, total = totals.get(booking.household_id, (booking.household.address, ZERO))
        totals[booking.household_id] = (name, total + usage + fee)
    for household_id, (address, total) in totals.items():
        yield [str(household_id), "TOTAL", address, *[""] * 12, _money(total)]


def stream_csv(rows: Iterator[list[str]], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
