"""`manage.py set_charger_password OCPP_ID [--generate]`: a charger's Basic-auth password.

The password is read from the terminal (asked twice) or, when stdin is not a terminal, from its
first line; ``--generate`` makes a random one and prints it once. Only its hash is stored.
"""

from __future__ import annotations

import getpass
import secrets
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from energy.models import Charger
from energy.services.chargers import charger_password_set


class Command(BaseCommand):
    help = "Set or reset the password a charger uses to connect (OCPP Basic auth)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ocpp_id")
        parser.add_argument(
            "--generate", action="store_true", help="make a random password and print it once"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ocpp_id: str = options["ocpp_id"]
        charger = Charger.objects.filter(ocpp_id=ocpp_id).first()
        if charger is None:
            raise CommandError(f"{ocpp_id}: no charger with this OCPP identity", returncode=2)
        # token_urlsafe(18): 24 characters, within OCPP's 16 to 40
        password = secrets.token_urlsafe(18) if options["generate"] else self._read_password()
        try:
            charger_password_set(charger=charger, password=password)
        except ValidationError as exc:
            raise CommandError(f"{ocpp_id}: {' '.join(exc.messages)}", returncode=2) from None
        if options["generate"]:
            self.stdout.write(password)
        else:
            self.stdout.write(f"{ocpp_id}: password set")

    def _read_password(self) -> str:
        if not sys.stdin.isatty():
            return sys.stdin.readline().rstrip("\r\n")
        try:
            first = getpass.getpass("Password: ")
            again = getpass.getpass("Password (again): ")
        except (EOFError, KeyboardInterrupt):
            raise CommandError("no password given", returncode=2) from None
        if first != again:
            raise CommandError("the passwords differ", returncode=2)
        return first
