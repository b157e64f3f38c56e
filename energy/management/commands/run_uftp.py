"""`manage.py run_uftp [--host H] [--port P]`: the hub operator's UFTP aggregator service."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.env import env_str
from energy.grid.keys import identity
from energy.grid.uftp import PATH, HubAgrService

logger = logging.getLogger("energy.grid")


class Command(BaseCommand):
    help = (
        "Serve UFTP (Shapeshifter 3) to the configured grid operators at "
        f"http://HOST:PORT{PATH}, as the aggregator of the hubs' connections."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8081, help="port to listen on")

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        port: int = options["port"]
        if not 0 < port < 65536:
            raise CommandError(f"--port {port}: not a TCP port (1-65535)", returncode=2)
        try:
            me = identity()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc), returncode=2) from None
        # The library logs every message in full at INFO: only on request (UFTP_LOG_LEVEL=INFO).
        level = env_str("UFTP_LOG_LEVEL", "WARNING").upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise CommandError(
                f"UFTP_LOG_LEVEL {level!r}: DEBUG, INFO, WARNING or ERROR", returncode=2
            )
        logging.getLogger("shapeshifter-uftp").setLevel(level)
        logger.info("UFTP aggregator %s on http://%s:%s%s", me.sender_domain, host, port, PATH)
        service = HubAgrService(identity=me, host=host, port=port)
        try:
            service.run()
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}", returncode=2
            ) from None
        except SystemExit as exc:  # uvicorn exits 1 when it cannot bind
            if exc.code:
                raise CommandError(f"cannot listen on {host}:{port}", returncode=2) from None
