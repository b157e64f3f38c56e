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
from sharing.models import Bay, Booking, Hub, Vehicle, VehicleModel
from sharing.services import BookingUnavailable, booking_create
from sharing.services.rules import floor_to_slot

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
    people = list(residents) if residents is not None else []
    if residents is None:
        people = list(User.objects.filter(household__in=list(households)).order_by("pk"))
    rng = random.Random(20261126)
    created = 0
    # Every household keeps room under its fair-use limit of open bookings, so each demo
    # resident (the README's log-ins included) can book at once.
    room = max(hub.max_concurrent_bookings_per_household - 1, 0)
    seeded: Counter[int | None] = Counter()
    day0 = floor_to_slot(hub, now).replace(hour=0, minute=0) + timedelta(days=1)
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
    }
