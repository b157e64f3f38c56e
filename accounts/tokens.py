"""Signed, expiring links for e-mail confirmation.

The token carries the user id *and* the address it was sent to, so a link stops working once the
address changes (or the account is erased), and it is signed with ``SECRET_KEY`` under a salt of
its own, so no other signed value of the site can be replayed as a confirmation.
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing

from accounts.models import User

SALT = "accounts.email-confirmation"
MAX_AGE = timedelta(days=3)


class ConfirmationLinkExpired(Exception):
    pass


class ConfirmationLinkInvalid(Exception):
    pass


def email_confirmation_token(user: User) -> str:
    return signing.dumps({"user": user.pk, "email": user.email}, salt=SALT, compress=True)


def email_confirmation_read(token: str) -> tuple[int, str]:
    """Return ``(user_id, email)``, or raise ``ConfirmationLinkExpired``/``…Invalid``."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise ConfirmationLinkExpired from None
    except signing.BadSignature:
        raise ConfirmationLinkInvalid from None
    try:
        return int(payload["user"]), str(payload["email"])
    except (KeyError, TypeError, ValueError):
        raise ConfirmationLinkInvalid from None
