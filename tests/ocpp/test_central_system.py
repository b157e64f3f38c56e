"""Chargers of every OCPP version connect, report, and are told the live plan's power."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from ocpp.v16 import call as call16
from ocpp.v21 import call as call21
from ocpp.v201 import call as call201

from energy.models import ChargeLevelReading, Charger, ChargerStatus, ReadingSource
from energy.ocpp.stations import now_iso
from sharing.models import Vehicle
from tests.factories import current_plan
from tests.ocpp.conftest import charge_point, eventually, eventually_async
from tests.ocpp.conftest import run as run_async

pytestmark = pytest.mark.django_db(transaction=True)

BAY_CHARGER = "ocpphub-B00"  # the home bay of the first shared car
FREE_CHARGER = "ocpphub-B03"  # a bay without a car of its own


def _charger(ocpp_id: str = BAY_CHARGER) -> Charger:
    return Charger.objects.get(ocpp_id=ocpp_id)


_status = sync_to_async(lambda: _charger().status)
_read_charger = sync_to_async(_charger)


def _plan(hub, power_kw: float):
    cars = list(Vehicle.objects.filter(hub=hub))
    now = datetime.now(UTC)
    return current_plan(hub, start=hub.floor_to_slot(now), vehicles=cars, power_kw=power_kw)


BOOT = {
    "ocpp1.6": lambda: call16.BootNotification(
        charge_point_model="AC22", charge_point_vendor="Bidi"
    ),
    "ocpp2.0.1": lambda: call201.BootNotification(
        charging_station={"model": "AC22", "vendor_name": "Bidi"}, reason="PowerUp"
    ),
    "ocpp2.1": lambda: call21.BootNotification(
        charging_station={"model": "AC22", "vendor_name": "Bidi"}, reason="PowerUp"
    ),
}


def test_ocpp16_boot_status_meter_values_and_disconnect(ocpp_server, ocpp_hub):
    async def scenario():
        async with charge_point(ocpp_server, BAY_CHARGER, "ocpp1.6") as cp:
            boot = await cp.call(BOOT["ocpp1.6"]())
            await cp.call(
                call16.StatusNotification(connector_id=1, error_code="NoError", status="Charging")
            )
            await cp.call(
                call16.MeterValues(
                    connector_id=1,
                    meter_value=[
                        {
                            "timestamp": now_iso(),
                            "sampled_value": [
                                {"value": "50", "measurand": "SoC", "unit": "Percent"},
                                {"value": "7.4", "measurand": "Power.Active.Import", "unit": "kW"},
                            ],
                        }
                    ],
                )
            )
            heartbeat = await cp.call(call16.Heartbeat())
            return boot, heartbeat, await _read_charger()

    boot, heartbeat, charger = run_async(scenario())

    assert boot.status == "Accepted"
    assert boot.interval > 0
    assert heartbeat.current_time
    assert charger.status == ChargerStatus.OCCUPIED
    assert charger.protocol == "ocpp1.6"
    assert charger.measured_power_kw == Decimal("7.400")
    assert charger.last_message_at is not None
    reading = ChargeLevelReading.objects.select_related("vehicle").get()
    assert reading.vehicle == Vehicle.objects.get(home_bay__charger__ocpp_id=BAY_CHARGER)
    assert reading.soc_kwh == Decimal("26.000")  # 50 % of the Renault's 52 kWh
    assert reading.source == ReadingSource.CHARGER
    # Once the socket closes the charger is offline, its last measurement no longer current.
    assert eventually(lambda: _charger().status == ChargerStatus.OFFLINE)


def test_ocpp16_whole_station_status_only_counts_when_it_is_out_of_order(ocpp_server, ocpp_hub):
    async def scenario():
        seen = []
        async with charge_point(ocpp_server, BAY_CHARGER, "ocpp1.6") as cp:
            for connector, error, status in [
                (1, "NoError", "Charging"),
                (0, "NoError", "Available"),
                (0, "GroundFailure", "Faulted"),
            ]:
                await cp.call(
                    call16.StatusNotification(
                        connector_id=connector, error_code=error, status=status
                    )
                )
                seen.append(await _status())
        return seen

    assert run_async(scenario()) == [
        ChargerStatus.OCCUPIED,
        ChargerStatus.OCCUPIED,
        ChargerStatus.FAULTED,
    ]


def test_ocpp16_transaction_gets_an_id_and_marks_the_bay_occupied(ocpp_server, ocpp_hub):
    async def scenario():
        async with charge_point(ocpp_server, BAY_CHARGER, "ocpp1.6") as cp:
            started = await cp.call(
                call16.StartTransaction(
                    connector_id=1, id_tag="CAR-01", meter_start=1000, timestamp=now_iso()
                )
            )
            status = await _status()
            stopped = await cp.call(
                call16.StopTransaction(
                    meter_stop=9000,
                    timestamp=now_iso(),
                    transaction_id=started.transaction_id,
                    id_tag="CAR-01",
                )
            )
            return started, status, stopped

    started, status, stopped = run_async(scenario())

    assert started.id_tag_info["status"] == "Accepted"
    assert started.transaction_id > 0
    assert status == ChargerStatus.OCCUPIED
    assert stopped.id_tag_info["status"] == "Accepted"


def test_ocpp201_boot_status_meter_values_and_transaction(ocpp_server, ocpp_hub):
    async def scenario():
        async with charge_point(ocpp_server, BAY_CHARGER, "ocpp2.0.1") as cp:
            boot = await cp.call(BOOT["ocpp2.0.1"]())
            await cp.call(
                call201.StatusNotification(
                    timestamp=now_iso(), connector_status="Occupied", evse_id=1, connector_id=1
                )
            )
            occupied = await _status()
            event = await cp.call(
                call201.TransactionEvent(
                    event_type="Started",
                    timestamp=now_iso(),
                    trigger_reason="CablePluggedIn",
                    seq_no=0,
                    transaction_info={"transaction_id": "tx-1"},
                    id_token={"id_token": "CAR-01", "type": "Central"},
                )
            )
            await cp.call(
                call201.MeterValues(
                    evse_id=1,
                    meter_value=[
                        {
                            "timestamp": now_iso(),
                            "sampled_value": [
                                {
                                    "value": 80,
                                    "measurand": "SoC",
                                    "unit_of_measure": {"unit": "Percent"},
                                },
                                {
                                    "value": 3.7,
                                    "measurand": "Power.Active.Export",
                                    "unit_of_measure": {"unit": "W", "multiplier": 3},
                                },
                            ],
                        }
                    ],
                )
            )
            await cp.call(
                call201.StatusNotification(
                    timestamp=now_iso(), connector_status="Available", evse_id=1, connector_id=1
                )
            )
            return boot, occupied, event, await _read_charger()

    boot, occupied, event, charger = run_async(scenario())

    assert boot.status == "Accepted"
    assert occupied == ChargerStatus.OCCUPIED
    assert event.id_token_info["status"] == "Accepted"
    assert charger.status == ChargerStatus.AVAILABLE
    assert charger.protocol == "ocpp2.0.1"
    assert charger.measured_power_kw == Decimal("-3.700")  # feeding back 3.7 kW
    assert ChargeLevelReading.objects.get().soc_kwh == Decimal("41.600")  # 80 % of 52 kWh


@pytest.mark.parametrize(
    ("protocol", "planned_kw", "told_kw"),
    [
        ("ocpp1.6", 7.5, Decimal("7.500")),
        ("ocpp2.0.1", 7.5, Decimal("7.500")),
        ("ocpp2.1", 7.5, Decimal("7.500")),
        ("ocpp1.6", -5.0, Decimal("0.000")),  # no standard discharge: the car rests
        ("ocpp2.0.1", -5.0, Decimal("0.000")),
        ("ocpp2.1", -5.0, Decimal("-5.000")),  # V2X set-point
    ],
)
def test_after_boot_the_charger_gets_the_live_plans_power_for_this_slot(
    ocpp_server, ocpp_hub, protocol, planned_kw, told_kw
):
    run = _plan(ocpp_hub, planned_kw)

    async def scenario():
        async with charge_point(ocpp_server, BAY_CHARGER, protocol) as cp:
            await cp.call(BOOT[protocol]())
            profile = await cp.next_profile()
            recorded = await eventually_async(lambda: _charger().current_setpoint_kw == told_kw)
            return profile, recorded

    profile, recorded = run_async(scenario())

    watts = float(told_kw * 1000)
    if protocol == "ocpp1.6":
        assert profile["connector_id"] == 0
        assert profile["charging_profile_purpose"] == "TxDefaultProfile"
        schedule = profile["charging_schedule"]
        assert schedule["charging_rate_unit"] == "W"
        assert schedule["charging_schedule_period"] == [{"start_period": 0, "limit": watts}]
    else:
        assert profile["evse_id"] == 0
        assert profile["charging_profile_purpose"] == "TxDefaultProfile"
        (schedule,) = profile["charging_schedule"]
        assert schedule["charging_rate_unit"] == "W"
        (period,) = schedule["charging_schedule_period"]
        if protocol == "ocpp2.1":
            assert period["operation_mode"] == "CentralSetpoint"
            assert period["setpoint"] == watts
        else:
            assert period["limit"] == watts
    start = datetime.fromisoformat(schedule["start_schedule"])
    assert start == ocpp_hub.floor_to_slot(datetime.now(UTC)) or start >= run.horizon_start
    assert recorded, "the accepted set-point is stored on the charger"


def test_a_bay_the_plan_leaves_out_is_held_at_zero(ocpp_server, ocpp_hub):
    _plan(ocpp_hub, 7.5)

    async def scenario():
        async with charge_point(ocpp_server, FREE_CHARGER, "ocpp2.0.1") as cp:
            await cp.call(BOOT["ocpp2.0.1"]())
            profile = await cp.next_profile()
            recorded = await eventually_async(
                lambda: _charger(FREE_CHARGER).current_setpoint_kw == Decimal("0.000")
            )
            return profile, recorded

    profile, recorded = run_async(scenario())

    assert profile["charging_schedule"][0]["charging_schedule_period"][0]["limit"] == 0
    assert recorded


def test_without_a_live_plan_nothing_is_sent(ocpp_server, ocpp_hub):
    async def scenario():
        async with charge_point(ocpp_server, BAY_CHARGER, "ocpp1.6") as cp:
            await cp.call(BOOT["ocpp1.6"]())
            with pytest.raises(TimeoutError):
                await cp.next_profile(timeout=1.0)

    run_async(scenario())

    assert _charger().current_setpoint_kw is None


def test_a_new_live_plan_reaches_connected_chargers(ocpp_server, ocpp_hub):
    _plan(ocpp_hub, 7.5)
    replan = sync_to_async(lambda: _plan(ocpp_hub, 3.0))

    async def scenario():
        async with charge_point(ocpp_server, BAY_CHARGER, "ocpp2.0.1") as cp:
            await cp.call(BOOT["ocpp2.0.1"]())
            first = await cp.next_profile()
            await replan()
            # What the set-point loop does every minute and at each slot boundary:
            await ocpp_server.on_server(ocpp_server.system.push_setpoints(only_changes=True))
            second = await cp.next_profile()
            # Unchanged set-points are not sent again.
            await ocpp_server.on_server(ocpp_server.system.push_setpoints(only_changes=True))
            assert cp.profiles.empty()
            recorded = await eventually_async(
                lambda: _charger().current_setpoint_kw == Decimal("3.000")
            )
            return first, second, recorded

    first, second, recorded = run_async(scenario())

    limit = lambda p: p["charging_schedule"][0]["charging_schedule_period"][0]["limit"]  # noqa: E731
    assert (limit(first), limit(second)) == (7500, 3000)
    assert recorded
