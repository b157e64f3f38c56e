"""The hub operator's UFTP identity: its participant domain and Ed25519 signing key pair.

The private key comes from the environment only, never the database: ``UFTP_SIGNING_KEY`` (the
64-byte NaCl secret key in base64, as ``shapeshifter-uftp`` signs with) or
``UFTP_SIGNING_KEY_FILE`` (a file holding that base64 text, e.g. a mounted secret).
``manage.py uftp_keygen`` makes a pair; the public key goes to each grid operator.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from nacl.bindings import crypto_sign_keypair

from config.env import env_int, env_str
from energy.grid.models import DOMAIN_RE

SECRET_KEY_BYTES = 64  # NaCl crypto_sign secret key: seed and public key


@dataclass(frozen=True)
class Identity:
    sender_domain: str
    signing_key: str  # base64 secret key
    public_key: str  # base64


def keypair_generate() -> tuple[str, str]:
    """A new ``(private, public)`` pair, both base64."""
    public, private = crypto_sign_keypair()
    return base64.b64encode(private).decode(), base64.b64encode(public).decode()


def public_key_of(private_key: str) -> str:
    raw = base64.b64decode(private_key, validate=True)
    return base64.b64encode(raw[32:]).decode()


def sender_domain() -> str:
    domain = env_str("UFTP_SENDER_DOMAIN", "wisselstroom.example")
    if not re.match(DOMAIN_RE, domain):
        raise ImproperlyConfigured(
            f"UFTP_SENDER_DOMAIN must be a lower-case domain, not {domain!r}"
        )
    return domain


def offer_valid_seconds() -> int:
    return env_int("UFTP_OFFER_VALID_SECONDS", 900, minimum=60)


def identity() -> Identity:
    """The configured identity, or ``ImproperlyConfigured`` naming the variable to set."""
    key = env_str("UFTP_SIGNING_KEY", "").strip()
    name = "UFTP_SIGNING_KEY"
    path = env_str("UFTP_SIGNING_KEY_FILE", "").strip()
    if not key and path:
        name = "UFTP_SIGNING_KEY_FILE"
        try:
            key = Path(path).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ImproperlyConfigured(
                f"UFTP_SIGNING_KEY_FILE {path}: cannot read: {exc}"
            ) from None
    if not key:
        raise ImproperlyConfigured(
            "set UFTP_SIGNING_KEY or UFTP_SIGNING_KEY_FILE (make a pair with manage.py uftp_keygen)"
        )
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name}: not base64") from None
    if len(raw) != SECRET_KEY_BYTES:
        raise ImproperlyConfigured(f"{name}: an Ed25519 secret key is {SECRET_KEY_BYTES} bytes")
    return Identity(sender_domain(), key, public_key_of(key))
