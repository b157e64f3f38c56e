"""The plan's set-point of one slot as a SetChargingProfile request, per OCPP version.

Every version gets one ``TxDefaultProfile`` (id 1, stack level 0, ``Absolute`` from the slot's
start, in watts, without a duration) on the whole station (connector / EVSE 0): each new one
replaces the last, and it holds until the next slot's arrives. It applies whether or not a
transaction is running, so the central system needs no transaction id to steer a charger.

Feeding back (a negative set-point):

- **OCPP 1.6 and 2.0.1** have no standard way to ask for discharging; a charging profile only
  *limits* charging. A negative limit is at best vendor-specific (2.1 keeps it only "for
  backwards compatibility"), so these chargers are sent a limit of 0 W: the car rests instead of
  feeding back, and ``current_setpoint_kw`` records 0, what the charger was actually told.
- **OCPP 2.1** (block Q, V2X) says it directly: ``operationMode = CentralSetpoint`` with a
  signed ``setpoint`` (negative = discharge) between ``dischargeLimit`` (<= 0) and ``limit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ocpp.v16 import call as call16
from ocpp.v16 import datatypes as types16
from ocpp.v21 import call as call21
from ocpp.v21 import datatypes as types21
from ocpp.v201 import call as call201
from ocpp.v201 import datatypes as types201

OCPP16 = "ocpp1.6"
OCPP201 = "ocpp2.0.1"
OCPP21 = "ocpp2.1"
PROFILE_ID = 1
STACK_LEVEL = 0
TX_DEFAULT = "TxDefaultProfile"
ABSOLUTE = "Absolute"
WATTS = "W"
CENTRAL_SETPOINT = "CentralSetpoint"


@dataclass(frozen=True)
class SetpointRequest:
    payload: Any  # the library's SetChargingProfile call of the charger's version
    commanded_kw: Decimal  # what the charger is told, after what its protocol can express


def ocpp_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def setpoint_request(*, protocol: str, kw: Decimal, slot_start: datetime) -> SetpointRequest:
    """The SetChargingProfile request that tells a ``protocol`` charger to run at ``kw``."""
    start = ocpp_datetime(slot_start)
    if protocol == OCPP21:
        watts = round(kw * 1000)
        period21 = types21.ChargingSchedulePeriodType(
            start_period=0,
            operation_mode=CENTRAL_SETPOINT,
            setpoint=float(watts),
            limit=float(max(watts, 0)),
            discharge_limit=float(min(watts, 0)),
        )
        profile21 = types21.ChargingProfileType(
            id=PROFILE_ID,
            stack_level=STACK_LEVEL,
            charging_profile_purpose=TX_DEFAULT,
            charging_profile_kind=ABSOLUTE,
            charging_schedule=[
                types21.ChargingScheduleType(
                    id=PROFILE_ID,
                    charging_rate_unit=WATTS,
                    charging_schedule_period=[period21],
                    start_schedule=start,
                )
            ],
        )
        return SetpointRequest(
            payload=call21.SetChargingProfile(evse_id=0, charging_profile=profile21),
            commanded_kw=Decimal(watts) / 1000,
        )

    # 1.6 and 2.0.1: a charging limit only; feeding back becomes "rest" (see the docstring).
    watts = max(round(kw * 1000), 0)
    if protocol == OCPP201:
        profile201 = types201.ChargingProfileType(
            id=PROFILE_ID,
            stack_level=STACK_LEVEL,
            charging_profile_purpose=TX_DEFAULT,
            charging_profile_kind=ABSOLUTE,
            charging_schedule=[
                types201.ChargingScheduleType(
                    id=PROFILE_ID,
                    charging_rate_unit=WATTS,
                    charging_schedule_period=[
                        types201.ChargingSchedulePeriodType(start_period=0, limit=float(watts))
                    ],
                    start_schedule=start,
                )
            ],
        )
        payload: Any = call201.SetChargingProfile(evse_id=0, charging_profile=profile201)
    elif protocol == OCPP16:
        profile16 = types16.ChargingProfile(
            charging_profile_id=PROFILE_ID,
            stack_level=STACK_LEVEL,
            charging_profile_purpose=TX_DEFAULT,
            charging_profile_kind=ABSOLUTE,
            charging_schedule=types16.ChargingSchedule(
                charging_rate_unit=WATTS,
                charging_schedule_period=[
                    types16.ChargingSchedulePeriod(start_period=0, limit=float(watts))
                ],
                start_schedule=start,
            ),
        )
        payload = call16.SetChargingProfile(connector_id=0, cs_charging_profiles=profile16)
    else:
        raise ValueError(f"unsupported protocol {protocol!r}")
    return SetpointRequest(payload=payload, commanded_kw=Decimal(watts) / 1000)
