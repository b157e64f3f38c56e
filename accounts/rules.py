"""Read-only rules of accounts: how typed e-mail addresses and invitation codes are normalised,
how long an invitation may be valid, and what is wrong (if anything) with an invitation someone
signs up with. Nothing here writes; the services and forms use it.
"""

from __future__ import annotations

import re

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Invitation, User

INVITATION_MAX_DAYS = 90


def normalise_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def normalise_invitation_code(code: str) -> str:
    """Accept what people type: lower case, spaces, missing dashes."""
    letters = re.sub(r"[^A-Za-z0-9]", "", code).upper()
    if len(letters) == 12:
        return "-".join(letters[i : i + 4] for i in range(0, 12, 4))
    return code.strip().upper()


def invitation_problem(invitation: Invitation | None, email: str) -> dict[str, str]:
    if invitation is None:
        return {
            "invitation_code": _(
                "We don't know this invitation code. Check it for typos, or ask whoever "
                "invited you for a new one."
            )
        }
    if invitation.is_used:
        return {
            "invitation_code": _(
                "This invitation code has already been used. Each code works once; ask for a "
                "new one."
            )
        }
    if invitation.is_expired():
        expired = formats.date_format(timezone.localtime(invitation.expires_at), "DATE_FORMAT")
        return {
            "invitation_code": _(
                "This invitation code expired on %(date)s. Ask whoever invited you for a new one."
            )
            % {"date": expired}
        }
    if invitation.email and invitation.email.lower() != email:
        return {
            "invitation_code": _(
                "This invitation is for a different e-mail address. Sign up with the address "
                "the invitation was sent to."
            )
        }
    return {}
