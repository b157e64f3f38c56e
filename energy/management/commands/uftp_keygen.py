"""`manage.py uftp_keygen --out FILE`: make the hub operator's UFTP signing key pair."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from energy.grid.keys import keypair_generate


class Command(BaseCommand):
    help = (
        "Make an Ed25519 key pair for signing UFTP messages. The private key is written to FILE "
        "(mode 0600; point UFTP_SIGNING_KEY_FILE at it); the public key, to give each grid "
        "operator, is printed. Nothing is stored in the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="file to write the private key to")
        parser.add_argument("--force", action="store_true", help="replace an existing file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["out"])
        if path.exists() and not options["force"]:
            raise CommandError(f"{path} exists; pass --force to replace it", returncode=2)
        private, public = keypair_generate()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(private + "\n")
            path.chmod(0o600)
        except OSError as exc:
            raise CommandError(
                f"cannot write {path}: {exc.strerror or exc}", returncode=2
            ) from None
        self.stdout.write(f"private key written to {path} (set UFTP_SIGNING_KEY_FILE={path})")
        self.stdout.write(f"public key: {public}")
        self.stdout.write(f"DNS TXT record for _AGR._usef.<your domain>: cs1.{public}")
