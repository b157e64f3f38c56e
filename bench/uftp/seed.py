"""The UFTP benchmark's hubs: each with its cars at bidirectional bays (chargers made by
``energy.demo.seed_site``), a site with an EAN of its own and the one grid operator (DSO),
flexibility prices for three days, and bookings over the next day whose promises every plan
must keep (as ``bench_orchestration`` seeds them).

The capacity prices are EUR 0.20 per kW of upward flexibility held for a slot (0.03 downward)
for the 26 hours the DSO trades in (the simulated day, its lead and last window), a tenth of
that after: high enough that idle cars hold what they could feed back, and where the DSO asks
for it (with one flat price over the whole 48-hour horizon the plans put their flexibility,
which the batteries' energy limits, at its end). At 0.05 (``tests/grid/test_uftp_flow.py``),
and at the demo's 0.002-0.012 (``energy.demo.seed_flex_prices``), the plans hold none in the
night hours, and every request there is answered without an offer (measured: 120 of 120 in
the first simulated hour from 23:30 local).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Household, User
from energy.demo import seed_site
from energy.models import FlexPriceSlot, GridOperator, Site
from sharing.models import Bay, Booking, Hub, Vehicle, VehicleModel

EAN_PREFIX = "8716871299"  # + 8 digits: 18 in all
UP_EUR_PER_KW = Decimal("0.20")
DOWN_EUR_PER_KW = Decimal("0.03")
TRADED_SLOTS = 26 * 4


@dataclass(frozen=True)
class BenchHub:
    id: int
    slug: str
    point: str  # the congestion point: ean.<EAN>
    time_zone: str


def operator_create(*, endpoint_url: str, public_key: str, domain: str) -> GridOperator:
    return GridOperator.objects.create(
        name="Bench DSO",
        participant_domain=domain,
        endpoint_url=endpoint_url,
        public_key=public_key,
    )


def hubs_seed(
    *, operator: GridOperator, hubs: int, cars: int, bookings: int, seed: int = 13
) -> list[BenchHub]:
    rng = random.Random(seed)
    model, _ = VehicleModel.objects.get_or_create(
        make="Renault",
        model="5 E-Tech",
        defaults={
            "usable_battery_kwh": Decimal("52"),
            "consumption_kwh_per_km": Decimal("0.160"),
            "ac_charge_kw": Decimal("11"),
            "ac_discharge_kw": Decimal("11"),
            "max_promised_range_km": 280,
        },
    )
    resident = _resident()
    now = timezone.now()
    quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    FlexPriceSlot.objects.bulk_create(
        FlexPriceSlot(start=quarter + i * timedelta(minutes=15),
                      up_eur_per_kw=UP_EUR_PER_KW / (1 if i < TRADED_SLOTS else 10),
                      down_eur_per_kw=DOWN_EUR_PER_KW / (1 if i < TRADED_SLOTS else 10))
        for i in range(-4, 3 * 96)
    )  # fmt: skip
    out: list[BenchHub] = []
    for h in range(hubs):
        hub = Hub.objects.create(
            name=f"UFTP bench {h}", slug=f"uftp-bench-{h}", latitude=52.09, longitude=5.1
        )
        bays = Bay.objects.bulk_create(
            Bay(hub=hub, label=f"B{n:02d}", bidirectional=True) for n in range(cars)
        )
        vehicles = Vehicle.objects.bulk_create(
            Vehicle(plate=f"U{h:03d}-{n:02d}", model=model, hub=hub, home_bay=bay,
                    last_known_soc_kwh=Decimal(rng.randint(30, 48)), last_known_soc_at=now)
            for n, bay in enumerate(bays)
        )  # fmt: skip
        site = seed_site(hub)
        ean = f"{EAN_PREFIX}{h:08d}"
        Site.objects.filter(pk=site.pk).update(ean=ean, grid_operator=operator, homes=50)
        _bookings(hub, vehicles, resident, bookings, rng)
        out.append(BenchHub(hub.pk, hub.slug, f"ean.{ean}", hub.time_zone))
    return out


def _bookings(
    hub: Hub, cars: list[Vehicle], resident: User, count: int, rng: random.Random
) -> None:
    start = hub.floor_to_slot(timezone.now()) + timedelta(hours=2)
    made: list[Booking] = []
    for b in range(count):
        car = cars[b % len(cars)]
        begin = start + timedelta(minutes=15 * rng.randint(0, 88))
        end = begin + timedelta(minutes=15 * rng.randint(4, 12))
        km = rng.choice([30, 60, 90, 120])
        # Blocks are [start - buffer, end + buffer) and must not overlap (the exclusion
        # constraint on bound bookings).
        if any(
            x.vehicle_id == car.pk
            and x.block_start < end + hub.buffer
            and begin - hub.buffer < x.block_end
            for x in made
        ):
            continue
        made.append(
            Booking(resident=resident, household=resident.household, hub=hub, start=begin,
                    end=end, block_start=begin - hub.buffer, block_end=end + hub.buffer,
                    promised_range_km=km, expected_km=km, vehicle=car, status="bound")
        )  # fmt: skip
    Booking.objects.bulk_create(made)


def _resident() -> User:
    household = Household.objects.create(name="UFTP bench", address="Benchstraat 1")
    return User.objects.create_user(
        "uftp-bench@example.org",
        "bench-password-123",
        household=household,
        email_confirmed_at=timezone.now(),
        licence_status="approved",
        licence_expires_on=timezone.localdate() + timedelta(days=365),
    )
