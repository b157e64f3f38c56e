"""Simulated bay chargers: real OCPP 2.1 charge points for the demo and the tests.

Each simulated charger connects to the central system with Basic auth, boots, reports its
connector as occupied (a car on the bay) or available, and then, every `interval` seconds, sends
meter values: the power it was last told (the plan's set-point, accepted and obeyed) and the
car's state of charge, which it integrates from that power (time runs `speed` times faster than
the wall clock, so a demo shows the charge moving). What each charger is told is printed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ocpp.routing import on
from ocpp.v21 import ChargePoint, call, call_result
from websockets.asyncio.client import connect
from websockets.headers import build_authorization_basic
from websockets.typing import Subprotocol

from energy.ocpp.stations import now_iso

PROTOCOL = "ocpp2.1"


@dataclass
class SimulatedBay:
    """What a simulated charger knows of its bay: the car on it (if any)."""

    ocpp_id: str
    battery_kwh: float | None = None  # None: no car on the bay
    soc_kwh: float = 0.0
    charge_kw: float = 11.0
    discharge_kw: float = 0.0
    setpoint_kw: float = 0.0
    told: list[float] = field(default_factory=list)


class SimulatedCharger(ChargePoint):
    """An OCPP 2.1 charge point that obeys the central system's set-points."""

    def setup(self, bay: SimulatedBay, report: Callable[[str], None]) -> None:
        self.bay, self.report = bay, report

    @on("SetChargingProfile")
    def on_set_charging_profile(
        self, evse_id: int, charging_profile: dict[str, Any], **_: Any
    ) -> Any:
        period = charging_profile["charging_schedule"][0]["charging_schedule_period"][0]
        watts = period.get("setpoint", period.get("limit", 0.0))
        kw = max(-self.bay.discharge_kw, min(self.bay.charge_kw, float(watts) / 1000))
        self.bay.setpoint_kw = kw
        self.bay.told.append(kw)
        self.report(f"{self.bay.ocpp_id}: set-point {kw:+.1f} kW")
        return call_result.SetChargingProfile(status="Accepted")

    def meter_value(self) -> dict[str, Any]:
        sampled: list[dict[str, Any]] = [
            {
                "value": abs(self.bay.setpoint_kw),
                "measurand": "Power.Active.Import"
                if self.bay.setpoint_kw >= 0
                else "Power.Active.Export",
                "unit_of_measure": {"unit": "kW"},
            }
        ]
        if self.bay.battery_kwh:
            pct = round(100 * self.bay.soc_kwh / self.bay.battery_kwh, 1)
            sampled.append(
                {"value": pct, "measurand": "SoC", "unit_of_measure": {"unit": "Percent"}}
            )
        return {"timestamp": now_iso(), "sampled_value": sampled}


async def simulate_bay(
    url: str,
    bay: SimulatedBay,
    password: str,
    *,
    interval: float,
    speed: float,
    rounds: int | None,
    report: Callable[[str], None],
) -> None:
    """Run one simulated charger for `rounds` meter-value intervals (None: until cancelled)."""
    async with connect(
        f"{url.rstrip('/')}/{bay.ocpp_id}",
        subprotocols=[Subprotocol(PROTOCOL)],
        additional_headers={"Authorization": build_authorization_basic(bay.ocpp_id, password)},
        open_timeout=10,
    ) as ws:
        cp = SimulatedCharger(bay.ocpp_id, ws, response_timeout=10)
        cp.setup(bay, report)
        loop = asyncio.create_task(cp.start())
        try:
            await cp.call(
                call.BootNotification(
                    charging_station={
                        "model": "V2G bay (simulated)",
                        "vendor_name": "Wisselstroom",
                    },
                    reason="PowerUp",
                )
            )
            status = "Occupied" if bay.battery_kwh else "Available"
            await cp.call(
                call.StatusNotification(
                    timestamp=now_iso(), connector_status=status, evse_id=1, connector_id=1
                )
            )
            done = 0
            while rounds is None or done < rounds:
                await asyncio.sleep(interval)
                if bay.battery_kwh:
                    hours = interval * speed / 3600
                    bay.soc_kwh = min(
                        bay.battery_kwh, max(0.0, bay.soc_kwh + bay.setpoint_kw * hours)
                    )
                await cp.call(call.MeterValues(evse_id=1, meter_value=[cp.meter_value()]))
                done += 1
        finally:
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop


async def simulate(
    url: str,
    bays: list[SimulatedBay],
    password: str,
    *,
    interval: float = 10.0,
    speed: float = 1.0,
    rounds: int | None = None,
    report: Callable[[str], None] = print,
) -> None:
    """All bays at once; the first failure (refused, unreachable) ends the simulation."""
    async with asyncio.TaskGroup() as group:
        for bay in bays:
            group.create_task(
                simulate_bay(
                    url,
                    bay,
                    password,
                    interval=interval,
                    speed=speed,
                    rounds=rounds,
                    report=report,
                )
            )
