"""The booking benchmark's data: one hub with ``--vehicles`` cars of one model, 100 residents with
API tokens (confirmed e-mail, approved licence) and ``--bookings`` future bookings, feasible by
construction (at most one daytime booking per car and day, a small range, a full charge every
night; a tenth already bound to their car). Seeded with ``random.Random(7)``.
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from rest_framework.authtoken.models import Token

from accounts.models import Household, User
from sharing.models import Booking, BookingStatus, Hub, Vehicle, VehicleModel


def seed(opts: dict[str, Any], now: Any) -> tuple[Hub, list[str]]:
    rng = random.Random(7)
    hub = Hub.objects.create(
        name="Bench hub",
        slug="bench",
        max_concurrent_bookings_per_household=1000,
        max_hours_per_week_per_household=10_000,
    )
    model = VehicleModel.objects.create(
        make="Renault",
        model="5 E-Tech 52 kWh",
        usable_battery_kwh=Decimal(52),
        consumption_kwh_per_km=Decimal("0.150"),
        ac_charge_kw=Decimal(11),
        ac_discharge_kw=Decimal(11),
        max_promised_range_km=300,
    )
    vehicles = Vehicle.objects.bulk_create(
        Vehicle(plate=f"BN-{i:03d}", model=model, hub=hub) for i in range(opts["vehicles"])
    )
    residents = []
    for i in range(100):
        household = Household.objects.create(name=f"Bench {i}", address=f"Benchstraat {i}")
        residents.append(
            User.objects.create_user(
                f"bench{i}@example.org",
                secrets.token_urlsafe(12),
                household=household,
                email_confirmed_at=now,
                licence_status="approved",
                licence_expires_on=(now + timedelta(days=3650)).date(),
            )
        )
    tokens = [Token.objects.create(user=user).key for user in residents]
    # Feasible by construction: each car gets at most one daytime booking per day, a small
    # range, and charges full every night. 10% are already bound to that car.
    day0 = hub.floor_to_slot(now.astimezone(hub.tz)).replace(hour=0, minute=0) + timedelta(days=1)
    rows: list[Booking] = []
    per_car = -(-opts["bookings"] // len(vehicles))
    for vehicle in vehicles:
        days = rng.sample(range(hub.max_days_ahead - 1), per_car)
        for day in days:
            if len(rows) >= opts["bookings"]:
                break
            start = day0 + timedelta(days=day, hours=rng.randint(7, 16))
            end = start + timedelta(hours=rng.randint(1, 4))
            km = rng.choice([20, 40, 60, 100])
            resident = rng.choice(residents)
            bound = rng.random() < 0.1
            rows.append(
                Booking(
                    resident=resident,
                    household=resident.household,
                    hub=hub,
                    start=start,
                    end=end,
                    block_start=start - hub.buffer,
                    block_end=end + hub.buffer,
                    promised_range_km=km,
                    expected_km=km,
                    vehicle=vehicle if bound else None,
                    status=BookingStatus.BOUND if bound else BookingStatus.CONFIRMED,
                    price_estimate=Decimal("10.00"),
                )
            )
    Booking.objects.bulk_create(rows, batch_size=1000)
    with connection.cursor() as cursor:
        # As autovacuum would soon: without statistics the planner guesses badly.
        cursor.execute("ANALYZE")
    return hub, tokens
