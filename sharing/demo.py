"""Demo data for the Wisselspoor hub; idempotent, deterministic, made through the services."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Household, User
from sharing.demo_photos import seed_car_photos
from sharing.models import Bay, Booking, BookingStatus, Hub, Vehicle, VehicleModel
from sharing.services import (
    BookingUnavailable,
    booking_bind_vehicle,
    booking_create,
    booking_pick_up,
    booking_return,
)

PAST_WEEKS = 4
PAST_TRIPPERS = 12  # the first residents (the README's two log-ins first) get finished trips

# Bidirectional-capable models with realistic numbers (usable kWh, kWh/km, AC kW in/out, range).
MODELS = [
    ("Renault", "5 E-Tech 52 kWh", "52.0", "0.150", "11", "11", 300, 12),
    ("Kia", "EV9 99.8 kWh", "96.0", "0.220", "11", "10", 400, 4),
    ("Nissan", "Leaf 40 kWh", "39.0", "0.160", "6.6", "6", 220, 4),
]


def seed_sharing_demo(
    *,
    households: Iterable[Household],
    now: datetime,
    residents: Sequence[User] | None = None,
) -> dict[str, Any]:
    """The Wisselspoor hub, 30 bidirectional bays, 20 shared cars and a week of bookings."""
    with transaction.atomic():
        hub, _ = Hub.objects.get_or_create(
            slug="wisselspoor",
            defaults={
                "name": "Wisselspoor",
                "address": "Wisselspoor, Utrecht",
                "latitude": Decimal("52.094500"),
                "longitude": Decimal("5.098900"),
                "time_zone": "Europe/Amsterdam",
                "max_concurrent_bookings_per_household": 3,
            },
        )
        bays = [
            Bay.objects.get_or_create(
                hub=hub, label=f"B{n:02d}", defaults={"bidirectional": True, "for_shared": n <= 20}
            )[0]
            for n in range(1, 31)
        ]
        number = 0
        for make, name, kwh, per_km, ac_in, ac_out, max_km, count in MODELS:
            model, _ = VehicleModel.objects.get_or_create(
                make=make,
                model=name,
                defaults={
                    "usable_battery_kwh": Decimal(kwh),
                    "consumption_kwh_per_km": Decimal(per_km),
                    "ac_charge_kw": Decimal(ac_in),
                    "ac_discharge_kw": Decimal(ac_out),
                    "bidirectional": True,
                    "max_promised_range_km": max_km,
                },
            )
            for _ in range(count):
                Vehicle.objects.get_or_create(
                    plate=f"WS-{number + 1:02d}-EV",
                    defaults={
                        "model": model,
                        "hub": hub,
                        "home_bay": bays[number],
                        "last_known_soc_kwh": (Decimal(kwh) * Decimal("0.8")).quantize(
                            Decimal("0.01")
                        ),
                        "last_known_soc_at": now,
                    },
                )
                number += 1
        seed_car_photos(hub)
    people = list(residents) if residents is not None else []
    if residents is None:
        people = list(User.objects.filter(household__in=list(households)).order_by("pk"))
    trips = seed_past_trips(hub=hub, people=people[:PAST_TRIPPERS], now=now)
    rng = random.Random(20261126)
    created = 0
    # Every household keeps room under its fair-use limit of open bookings, so each demo
    # resident (the README's log-ins included) can book at once.
    room = max(hub.max_concurrent_bookings_per_household - 1, 0)
    seeded: Counter[int | None] = Counter()
    day0 = hub.floor_to_slot(now.astimezone(hub.tz)).replace(hour=0, minute=0) + timedelta(days=1)
    for day in range(7):
        for person in people:
            if rng.random() < 0.5:
                continue
            if seeded[person.household_id] >= room:
                continue
            start = day0 + timedelta(
                days=day, hours=rng.randint(7, 19), minutes=15 * rng.randint(0, 3)
            )
            hours = rng.randint(1, 5)
            key = f"demo-{start:%Y%m%d}-{person.pk}"
            try:
                before = Booking.objects.filter(resident=person, idempotency_key=key).exists()
                booking_create(
                    resident=person,
                    hub=hub,
                    start=start,
                    end=start + timedelta(hours=hours),
                    promised_range_km=rng.choice([30, 50, 80, 120, 150]),
                    idempotency_key=key,
                    now=now,
                )
                created += 0 if before else 1
                seeded[person.household_id] += 1
            except (ValidationError, BookingUnavailable):
                continue
    return {
        "hub": hub,
        "bays": hub.bays.count(),
        "vehicles": hub.vehicles.count(),
        "bookings_created": created,
        "trips_created": trips,
    }


def seed_past_trips(*, hub: Hub, people: Sequence[User], now: datetime) -> int:
    """A few weeks of finished trips (booked, bound, picked up and returned through the
    services at the time they happened), so History shows distance, energy and cost.

    Returns how many trips were made; a second run with the same day makes none. The cars'
    current charge readings are kept: the trips are history, not the cars' state now.
    """
    rng = random.Random(20261203)
    today = hub.floor_to_slot(now.astimezone(hub.tz)).replace(hour=0, minute=0)
    vehicles = list(Vehicle.objects.filter(hub=hub).select_related("model").order_by("plate"))
    if not vehicles:
        return 0
    readings = {v.pk: (v.last_known_soc_kwh, v.last_known_soc_at) for v in vehicles}
    by_charge: dict[Decimal | None, list[int]] = {}
    for v in vehicles:
        by_charge.setdefault(v.last_known_soc_kwh, []).append(v.pk)
    made = 0
    for days_ago in range(PAST_WEEKS * 7, 0, -1):
        day = today - timedelta(days=days_ago)
        for n, person in enumerate(people):
            # The log-ins drive about three times a week, the others about once.
            if rng.random() >= (0.45 if n < 2 else 0.15):
                continue
            start = day.replace(hour=rng.randint(8, 18), minute=15 * rng.randint(0, 3))
            hours = rng.choice([1, 2, 2, 3, 4])
            km = rng.choice([12, 18, 25, 40, 60, 85])
            spare = rng.randint(5, 30)
            vehicle = vehicles[rng.randrange(len(vehicles))]
            key = f"demo-trip-{start:%Y%m%d%H%M}-{person.pk}"
            if Booking.objects.filter(resident=person, idempotency_key=key).exists():
                continue
            # The check of a booking made back then needs charge readings from back then; the
            # same ones on every run, so a second run decides as the first did.
            for soc_kwh, pks in by_charge.items():
                Vehicle.objects.filter(pk__in=pks).update(
                    last_known_soc_kwh=soc_kwh, last_known_soc_at=start - timedelta(days=2)
                )
            if _finished_trip(hub, person, vehicle, start, hours, km, spare, key):
                made += 1
    for vehicle in vehicles:
        soc_kwh, soc_at = readings[vehicle.pk]
        Vehicle.objects.filter(pk=vehicle.pk).update(
            last_known_soc_kwh=soc_kwh, last_known_soc_at=soc_at
        )
    return made


def _finished_trip(
    hub: Hub,
    person: User,
    vehicle: Vehicle,
    start: datetime,
    hours: int,
    km: int,
    spare_km: int,
    key: str,
) -> bool:
    end = start + timedelta(hours=hours)
    booked_at = start - timedelta(days=1)
    try:
        booking = booking_create(
            resident=person,
            hub=hub,
            start=start,
            end=end,
            promised_range_km=km + spare_km,
            expected_km=km,
            idempotency_key=key,
            now=booked_at,
        )
        booking_bind_vehicle(
            booking=booking, vehicle=vehicle, reason="demo history", now=start - timedelta(hours=1)
        )
    except (ValidationError, BookingUnavailable):
        # No car was free in the demo's past: leave no half-made trip.
        Booking.objects.filter(
            resident=person, idempotency_key=key, status=BookingStatus.CONFIRMED
        ).delete()
        return False
    vehicle.refresh_from_db()
    battery = vehicle.model.usable_battery_kwh
    soc_out = Decimal(random.Random(key).randint(70, 95))
    used = Decimal(km) * vehicle.model.consumption_kwh_per_km / battery * 100
    soc_in = max(Decimal(5), soc_out - used).quantize(Decimal("1"))
    booking_pick_up(
        booking=booking,
        now=start + timedelta(minutes=5),
        odometer_km=vehicle.odometer_km,
        soc_percent=soc_out,
    )
    booking_return(
        booking=booking,
        odometer_km=vehicle.odometer_km + km,
        soc_percent=soc_in,
        now=end - timedelta(minutes=10),
    )
    return True
