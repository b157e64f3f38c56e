"""`simulate_chargers`: simulated OCPP 2.1 charge points against the real central system."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from energy.models import ChargeLevelReading, Charger, ChargerStatus, ReadingSource
from sharing.models import Vehicle
from tests.factories import current_plan
from tests.ocpp.conftest import PASSWORD, eventually, in_fresh_thread

pytestmark = pytest.mark.django_db(transaction=True)


def _simulate(server, hub, **kw) -> str:
    from io import StringIO

    out = StringIO()
    options = {
        "hub": hub.slug,
        "url": f"ws://127.0.0.1:{server.port}/ocpp",
        "password": PASSWORD,
        "interval": 0.2,
        "speed": 3600.0,
        "rounds": 3,
        "limit": 2,
        **kw,
    }
    in_fresh_thread(call_command, "simulate_chargers", stdout=out, **options)
    return out.getvalue()


def test_simulated_chargers_obey_the_plan_and_report_the_charge(ocpp_server, ocpp_hub):
    cars = list(Vehicle.objects.filter(hub=ocpp_hub).order_by("plate"))
    current_plan(
        ocpp_hub, start=ocpp_hub.floor_to_slot(datetime.now(UTC)), vehicles=cars, power_kw=7.0
    )
    car = Vehicle.objects.get(home_bay__charger__ocpp_id="ocpphub-B00")
    before = float(car.last_known_soc_kwh) if car.last_known_soc_kwh is not None else 26.0
    out = _simulate(ocpp_server, ocpp_hub)

    assert "ocpphub-B00: set-point +7.0 kW" in out
    charger = Charger.objects.get(ocpp_id="ocpphub-B00")
    assert charger.last_message_at is not None
    # 3 meter values, each 0.2 s x 3600 = 0.2 h of simulated time at 7 kW: +4.2 kWh
    reading = ChargeLevelReading.objects.filter(source=ReadingSource.CHARGER, vehicle=car).latest(
        "measured_at"
    )
    assert float(reading.soc_kwh) == pytest.approx(before + 4.2, abs=0.1)
    # after the simulation the chargers have disconnected (and their set-points are cleared)
    assert eventually(
        lambda: Charger.objects.filter(
            ocpp_id="ocpphub-B00", status=ChargerStatus.OFFLINE, current_setpoint_kw=None
        ).exists()
    )


def test_wrong_password_exits_2_with_one_line(ocpp_server, ocpp_hub):
    with pytest.raises(CommandError) as err:
        _simulate(ocpp_server, ocpp_hub, password="not-the-password-123")
    assert err.value.returncode == 2
    assert "HTTP 401" in str(err.value) and "\n" not in str(err.value)


def test_unreachable_central_system_exits_2(ocpp_hub):
    with pytest.raises(CommandError) as err:
        in_fresh_thread(
            call_command,
            "simulate_chargers",
            hub=ocpp_hub.slug,
            url="ws://127.0.0.1:9/ocpp",
            rounds=1,
            limit=1,
        )
    assert err.value.returncode == 2
    assert "cannot reach" in str(err.value)


def test_unknown_hub_exits_2(db):
    with pytest.raises(CommandError) as err:
        call_command("simulate_chargers", hub="nowhere")
    assert err.value.returncode == 2
