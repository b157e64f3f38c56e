"""``manage.py enrol_totp EMAIL``: set up (or replace) a staff member's authenticator app.

Prints the ``otpauth://`` link (paste it into the app, or turn it into a QR code) and its secret,
then asks for a code from the app; the device counts only once a code matched, and it then
replaces the staff member's earlier app. ``--token CODE`` confirms without asking (scripts);
``--no-confirm`` only prints the link, and the device stays unconfirmed (useless) until the same
command is run again with ``--token``. Refusals exit with status 2 and one line on stderr.
"""

from __future__ import annotations

import base64
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.rules import normalise_email
from accounts.two_factor import totp_confirm, totp_enrol


class Command(BaseCommand):
    help = "Enrol a staff member's authenticator app (TOTP) for the admin's two-factor log-in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--token", help="a code from the app, to confirm without asking")
        parser.add_argument(
            "--no-confirm", action="store_true", help="only print the link; confirm later"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=normalise_email(options["email"])).first()
        if user is None:
            raise CommandError(f"no account with the address {options['email']}", returncode=2)
        pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        token = options["token"]
        try:
            if pending is None or not token:
                pending = totp_enrol(user=user)
                secret = base64.b32encode(pending.bin_key).decode()
                self.stdout.write(f"Add this to {user.email}'s authenticator app:")
                self.stdout.write(f"  {pending.config_url}")
                self.stdout.write(f"  (or type the secret {secret}, TOTP, 6 digits, 30 s)")
            if options["no_confirm"] and not token:
                self.stdout.write("Not confirmed yet: run again with --token CODE.")
                return
            if not token:
                if not sys.stdin.isatty():
                    token = sys.stdin.readline()
                else:
                    token = input("Code shown by the app: ")
            totp_confirm(device=pending, token=token)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=2) from None
        self.stdout.write(
            self.style.SUCCESS(f"{user.email} now logs in to the admin with this app's codes.")
        )
