"""A hub with a fake current plan for tomorrow (no solve), its grid operator and prices."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from energy.grid.keys import keypair_generate
from energy.grid.selectors import day_isp_starts
from energy.models import FlexPriceSlot, GridOperator, Site
from sharing.models import Hub, Vehicle
from tests.energy.conftest import make_hub
from tests.factories import current_plan

EAN = "871687120000000001"


def stedin(**fields: object) -> GridOperator:
    """The tests' grid operator (a fresh public key; `fields` override)."""
    values: dict[str, object] = {
        "name": "Stedin",
        "participant_domain": "dso.example.nl",
        "endpoint_url": "https://dso.example.nl/m",
        "public_key": keypair_generate()[1],
    }
    return GridOperator.objects.create(**{**values, **fields})


def tomorrow(hub: Hub) -> date:
    return timezone.localtime(timezone.now(), hub.tz).date() + timedelta(days=1)


def planned_tomorrow(
    operator: GridOperator | None, *, up_kw: float = 5.0, down_kw: float = 2.0
) -> Hub:
    """Tomorrow fully planned: net = 5 + 3 - 10 = -2 kW per slot, flexibility per car as given."""
    hub = make_hub(cars=1)
    Site.objects.filter(hub=hub).update(grid_operator=operator)
    starts = day_isp_starts(tomorrow(hub), hub.time_zone)
    current_plan(
        hub,
        start=starts[0],
        slots=len(starts),
        vehicles=list(Vehicle.objects.filter(hub=hub)),
        flex_up_kw=up_kw,
        flex_down_kw=down_kw,
    )
    FlexPriceSlot.objects.bulk_create(
        FlexPriceSlot(start=s, up_eur_per_kw=Decimal("0.10"), down_eur_per_kw=Decimal("0.04"))
        for s in starts
    )
    return hub


def database_url() -> str:
    """The test database as a URL, for a process of its own (``manage.py ...``)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
