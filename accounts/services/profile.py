"""What residents change about themselves: their name and phone, their consents (a new row per
change, so the history stays) and their API token.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.models import Consent, ConsentKind, User
from accounts.selectors import consents_current


def user_profile_update(*, user: User, full_name: str, phone: str) -> User:
    with transaction.atomic():
        user.full_name = full_name.strip()
        user.phone = phone.strip()
        user.save(update_fields=["full_name", "phone"])
    return user


def consents_record(*, user: User, choices: Mapping[str, bool]) -> list[Consent]:
    """Record a new row for each consent whose state changes; unchanged ones stay as they are."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # serialise per resident
        current = consents_current(user=user)
        changed = [
            Consent(user=user, kind=kind, granted=bool(choices[kind]))
            for kind in ConsentKind.values
            if kind in choices
            and (current[kind] is None or current[kind].granted != bool(choices[kind]))  # type: ignore[union-attr]
        ]
        return Consent.objects.bulk_create(changed)


def api_token_create(*, user: User) -> str:
    """A new API token for ``user``; any previous token stops working."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        token: Token = Token.objects.create(user=user)
    return str(token.key)
