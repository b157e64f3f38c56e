"""A small hub with a site, for the energy tests: 3 shared cars, 4 bays, 20 kW connection."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from energy.forecast import typical_household_profile
from energy.models import BaseLoadProfile, Charger, PvSystem, Site
from sharing.models import Bay, Hub, Vehicle, VehicleModel
from tests.factories import HubFactory, SiteFactory


def make_hub(slug: str = "testhub", cars: int = 3, import_kw: str = "60") -> Hub:
    hub = Hub.objects.create(
        name=f"Hub {slug}", slug=slug, latitude=Decimal("52.0945"), longitude=Decimal("5.0989")
    )
    site = Site.objects.create(
        hub=hub,
        ean="871687120000000001",
        grid_import_limit_kw=Decimal(import_kw),
        grid_export_limit_kw=Decimal(import_kw),
        homes=10,
    )
    PvSystem.objects.create(
        site=site,
        name="roof",
        kwp=Decimal("30"),
        tilt_deg=Decimal("30"),
        azimuth_deg=Decimal("180"),
    )
    BaseLoadProfile.objects.create(
        site=site,
        weekday_kw_per_home=typical_household_profile(weekend=False),
        weekend_kw_per_home=typical_household_profile(weekend=True),
    )
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
    for n in range(cars + 1):
        bay = Bay.objects.create(hub=hub, label=f"B{n:02d}")
        Charger.objects.create(
            bay=bay,
            ocpp_id=f"{slug}-B{n:02d}",
            ac_charge_kw=Decimal("11"),
            ac_discharge_kw=Decimal("11"),
        )
        if n < cars:
            Vehicle.objects.create(
                plate=f"{slug[:4].upper()}-{n:02d}",
                model=model,
                hub=hub,
                home_bay=bay,
                last_known_soc_kwh=Decimal("20"),
                last_known_soc_at=datetime(2026, 1, 1, tzinfo=hub.tz),
            )
    return hub


@pytest.fixture
def hub(db):
    return make_hub()


def next_slot(moment: datetime, hours: float = 0) -> datetime:
    moment = moment + timedelta(hours=hours)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


@pytest.fixture
def energy_hub(db):
    hub = HubFactory(slug="zonnehof", name="Zonnehof")
    SiteFactory(hub=hub)
    return hub


@pytest.fixture
def replans(monkeypatch):
    """Re-plans asked for, as (hub_id, reason); the planner itself is tested elsewhere."""
    calls: list[tuple[int, str]] = []
    for module in ("private_cars", "charging_sessions"):
        monkeypatch.setattr(
            f"energy.services.{module}.replan_request",
            lambda *, hub_id, reason: calls.append((hub_id, reason)),
        )
    return calls
