"""`manage.py simulate_chargers`: a hub's chargers as real OCPP 2.1 charge points (demo, tests).

They connect to a running central system (`manage.py run_ocpp`), boot, report whether a car is on
the bay, obey the plan's set-points and send meter values with the car's charge. Bad input or a
refused connection exits 2 with one line.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from ocpp.exceptions import OCPPError
from websockets.exceptions import InvalidStatus, WebSocketException

from energy.demo import DEMO_CHARGER_PASSWORD
from energy.models import Charger
from energy.ocpp.simulator import SimulatedBay, simulate
from energy.services.chargers import vehicle_on_bay


class Command(BaseCommand):
    help = "Run a hub's chargers as simulated OCPP 2.1 charge points against run_ocpp."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hub", default="wisselspoor", help="hub slug")
        parser.add_argument("--url", default="ws://127.0.0.1:9000/ocpp", help="central system")
        parser.add_argument(
            "--password",
            default=os.environ.get("OCPP_SIMULATOR_PASSWORD", DEMO_CHARGER_PASSWORD),
            help="the chargers' OCPP password (default: $OCPP_SIMULATOR_PASSWORD or the demo's)",
        )
        parser.add_argument("--limit", type=int, default=0, help="only the first N chargers")
        parser.add_argument(
            "--interval", type=float, default=10.0, help="seconds between meter values"
        )
        parser.add_argument(
            "--speed", type=float, default=60.0, help="simulated time per wall second"
        )
        parser.add_argument(
            "--rounds", type=int, default=0, help="stop after N meter values (0: run on)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0 or options["speed"] <= 0 or options["limit"] < 0:
            raise CommandError(
                "--interval and --speed must be positive, --limit >= 0", returncode=2
            )
        chargers = Charger.objects.filter(bay__hub__slug=options["hub"]).select_related("bay")
        if options["limit"]:
            chargers = chargers[: options["limit"]]
        bays = [self._bay(c) for c in chargers]
        if not bays:
            raise CommandError(f"{options['hub']}: no hub with chargers by this slug", returncode=2)
        self.stdout.write(
            f"{len(bays)} charger(s) of {options['hub']} connecting to {options['url']}"
        )
        try:
            asyncio.run(
                simulate(
                    options["url"],
                    bays,
                    options["password"],
                    interval=options["interval"],
                    speed=options["speed"],
                    rounds=options["rounds"] or None,
                    report=self.stdout.write,
                )
            )
        except* InvalidStatus as group:
            first = group.exceptions[0]
            status = first.response.status_code if isinstance(first, InvalidStatus) else "?"
            raise CommandError(
                f"the central system refused the chargers (HTTP {status}); check --password",
                returncode=2,
            ) from None
        except* (OSError, WebSocketException, TimeoutError) as group:
            raise CommandError(
                f"cannot reach {options['url']}: {group.exceptions[0]}", returncode=2
            ) from None
        except* OCPPError as group:
            raise CommandError(f"OCPP error: {group.exceptions[0]}", returncode=2) from None
        except* KeyboardInterrupt:
            pass

    @staticmethod
    def _bay(charger: Charger) -> SimulatedBay:
        car = vehicle_on_bay(bay_id=charger.bay_id)
        bay = SimulatedBay(
            ocpp_id=charger.ocpp_id,
            charge_kw=float(charger.ac_charge_kw),
            discharge_kw=float(charger.discharge_kw),
        )
        if car is not None:
            bay.battery_kwh = float(car.model.usable_battery_kwh)
            known = car.last_known_soc_kwh
            bay.soc_kwh = float(known) if known is not None else bay.battery_kwh / 2
        return bay
