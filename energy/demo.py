"""The Wisselspoor demo hub: 122 homes, ~400 kWp of PV, a 250 kW connection, 20 shared
bidirectional cars on 30 bidirectional bays that residents' own cars use too, residents with a
week of bookings, and a live plan.

Idempotent: every object is looked up by a natural key first, so running it again adds nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Household, Invitation, LicenceStatus, User
from energy.forecast import typical_household_profile
from energy.models import (
    BaseLoadProfile,
    Charger,
    ChargingSession,
    FlexPriceSlot,
    PrivateCar,
    PvSystem,
    SessionStatus,
    Site,
)
from sharing.demo import seed_sharing_demo
from sharing.models import Bay, Hub

DEMO_PASSWORD = "wisselstroom-demo"  # noqa: S105 - printed for the demo, never used in production
# the demo chargers' OCPP Basic-auth password (`simulate_chargers` uses it by default)
DEMO_CHARGER_PASSWORD = "wisselstroom-demo-charger"  # noqa: S105 - demo only
DEMO_INVITATION = "DEMO-WSPR-JOIN"
HOMES = 122
RESIDENTS = 40
PRIVATE_CARS = 10
PV_ARRAYS = [  # name, kWp, tilt, azimuth: ~400 kWp over the district's roofs and the hub canopy
    ("Apartment roofs south", Decimal("180"), Decimal("30"), Decimal("180")),
    ("Terraced roofs east", Decimal("90"), Decimal("15"), Decimal("90")),
    ("Terraced roofs west", Decimal("90"), Decimal("15"), Decimal("270")),
    ("Hub canopy", Decimal("40"), Decimal("10"), Decimal("180")),
]


@dataclass
class DemoLogins:
    fleet_admin: str
    residents: list[str] = field(default_factory=list)
    invitation: str = DEMO_INVITATION
    password: str = DEMO_PASSWORD


def _user(email: str, name: str, household: Household | None, **extra: object) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create(
            email=email,
            full_name=name,
            household=household,
            password=make_password(DEMO_PASSWORD),
            email_confirmed_at=timezone.now(),
            licence_status=LicenceStatus.APPROVED,
            licence_expires_on=timezone.localdate() + timedelta(days=4 * 365),
            **extra,
        )
    return user


def seed_accounts() -> tuple[list[Household], list[User], DemoLogins]:
    households = []
    for n in range(1, HOMES + 1):
        household, _ = Household.objects.get_or_create(
            address=f"Wisselspoor {n}", defaults={"name": f"Household {n}"}
        )
        households.append(household)
    fleet = _user("fleet@wisselstroom.example", "Fleur Vloot", None, is_staff=True,
                  is_superuser=True)  # fmt: skip
    rng = random.Random(122)
    first = ["Anna", "Bram", "Chantal", "Daan", "Eva", "Fatima", "Gijs", "Hanna", "Iris", "Jesse"]
    last = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "El Amrani", "Mulder"]
    residents = [
        _user("resident@wisselstroom.example", "Anna de Vries", households[0],
              is_household_admin=True),
        _user("neighbour@wisselstroom.example", "Bram Jansen", households[1],
              is_household_admin=True),
    ]  # fmt: skip
    for n in range(2, RESIDENTS):
        name = f"{rng.choice(first)} {rng.choice(last)}"
        residents.append(
            _user(f"resident{n}@wisselstroom.example", name, households[n], is_household_admin=True)
        )
    for household, user in zip(households, residents, strict=False):
        if household.primary_member_id is None:
            household.primary_member = user
            household.save(update_fields=["primary_member"])
    if not Invitation.objects.filter(code=DEMO_INVITATION).exists():
        Invitation.objects.create(
            code=DEMO_INVITATION,
            household=households[RESIDENTS],
            created_by=fleet,
            expires_at=timezone.now() + timedelta(days=365),
        )
    logins = DemoLogins(fleet_admin=fleet.email, residents=[residents[0].email, residents[1].email])
    return households, residents, logins


def seed_site(hub: Hub) -> Site:
    site, _ = Site.objects.get_or_create(
        hub=hub,
        defaults={
            "ean": "871687120000000122",
            "grid_import_limit_kw": Decimal("250"),
            "grid_export_limit_kw": Decimal("250"),
            "homes": HOMES,
        },
    )
    for name, kwp, tilt, azimuth in PV_ARRAYS:
        PvSystem.objects.get_or_create(
            site=site, name=name, defaults={"kwp": kwp, "tilt_deg": tilt, "azimuth_deg": azimuth}
        )
    BaseLoadProfile.objects.get_or_create(
        site=site,
        defaults={
            "weekday_kw_per_home": typical_household_profile(weekend=False),
            "weekend_kw_per_home": typical_household_profile(weekend=True),
            "fixed_kw": Decimal("2.5"),
        },
    )
    charger_hash = make_password(DEMO_CHARGER_PASSWORD)  # one hash for all: one password
    for bay in Bay.objects.filter(hub=hub).order_by("label"):
        Charger.objects.get_or_create(
            bay=bay,
            defaults={
                "ocpp_id": f"{hub.slug.upper()}-{bay.label}",
                "ac_charge_kw": Decimal("11"),
                "ac_discharge_kw": Decimal("11") if bay.bidirectional else Decimal("0"),
                "bidirectional": bay.bidirectional,
                "auth_password_hash": charger_hash,
            },
        )
    return site


def seed_flex_prices(start: datetime, days: int = 3) -> None:
    """A documented capacity-price shape: upward flexibility is worth most at the evening peak
    (EUR 0.004-0.012 per kW per slot), downward at midday solar surplus."""
    rows = []
    for i in range(days * 96):
        moment = start + timedelta(minutes=15 * i)
        hour = moment.astimezone(timezone.get_default_timezone()).hour
        up = 0.012 if 17 <= hour < 21 else 0.006 if 7 <= hour < 9 else 0.003
        down = 0.010 if 11 <= hour < 15 else 0.002
        rows.append(
            FlexPriceSlot(
                area="NL",
                start=moment,
                up_eur_per_kw=Decimal(str(up)),
                down_eur_per_kw=Decimal(str(down)),
            )
        )
    FlexPriceSlot.objects.bulk_create(rows, ignore_conflicts=True)


def seed_private_cars(hub: Hub, residents: list[User], now: datetime) -> None:
    """Ten residents' own cars; those of today are plugged in at the bays no shared car uses."""
    free_bays = list(
        Bay.objects.filter(hub=hub, home_vehicles__isnull=True).order_by("label")[:PRIVATE_CARS]
    )
    rng = random.Random(7)
    for n, (owner, bay) in enumerate(zip(residents[2:], free_bays, strict=False)):
        battery = Decimal(rng.choice(["58", "64", "77", "82"]))
        car, _ = PrivateCar.objects.get_or_create(
            owner=owner,
            plate=f"P-{100 + n}-WS",
            defaults={
                "battery_kwh": battery,
                "max_charge_kw": Decimal("11"),
                "max_discharge_kw": Decimal("11") if n % 2 == 0 else Decimal("0"),
                "may_feed_back": n % 2 == 0,
                "floor_kwh": (battery * Decimal("0.2")).quantize(Decimal("0.1")),
            },
        )
        if car.sessions.filter(status=SessionStatus.ACTIVE).exists():
            continue
        if ChargingSession.objects.filter(bay=bay, status=SessionStatus.ACTIVE).exists():
            continue
        plugged = hub.floor_to_slot(now) - timedelta(hours=rng.randint(1, 5))
        ChargingSession.objects.create(
            car=car,
            bay=bay,
            plugged_in_at=plugged,
            initial_soc_kwh=(battery * Decimal(rng.uniform(0.25, 0.6))).quantize(Decimal("0.1")),
            departure_at=hub.floor_to_slot(now) + timedelta(hours=rng.randint(8, 20)),
            target_soc_kwh=(battery * Decimal("0.85")).quantize(Decimal("0.1")),
            allow_feed_back=car.may_feed_back,
            feed_back_floor_kwh=(battery * Decimal("0.4")).quantize(Decimal("0.1")),
        )


def seed_demo(*, now: datetime | None = None) -> tuple[Hub, DemoLogins]:
    now = now or timezone.now()
    with transaction.atomic():
        households, residents, logins = seed_accounts()
        seeded = seed_sharing_demo(households=households, residents=residents, now=now)
        hub: Hub = seeded["hub"]
        seed_site(hub)
        # A week of capacity prices from yesterday on, so the demo week of plans can offer flex.
        seed_flex_prices(
            hub.floor_to_slot(now).replace(hour=0, minute=0) - timedelta(days=1), days=9
        )
        seed_private_cars(hub, residents, now)
    return hub, logins
