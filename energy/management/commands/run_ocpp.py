"""`manage.py run_ocpp [--host H] [--port P]`: the OCPP central system the chargers connect to."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from energy.ocpp.server import CentralSystem

logger = logging.getLogger("energy.ocpp")


class Command(BaseCommand):
    help = "Serve OCPP 1.6, 2.0.1 and 2.1 chargers at ws://HOST:PORT/ocpp/<ocpp_id>."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=9000, help="port to listen on")

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        port: int = options["port"]
        if not 0 < port < 65536:
            raise CommandError(f"--port {port}: not a TCP port (1-65535)", returncode=2)
        logger.info("OCPP central system on ws://%s:%s/ocpp/<ocpp_id>", host, port)
        try:
            asyncio.run(CentralSystem().run(host, port))
        except OSError as exc:
            # one line, exit 2: the address is taken or not ours to listen on
            raise CommandError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}", returncode=2
            ) from None
