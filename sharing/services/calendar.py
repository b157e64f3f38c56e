"""The resident's calendar feed secret."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User, new_token


def calendar_token_renew(*, user: User) -> str:
    """A new secret for the resident's ``.ics`` feed: calendars subscribed to the old address
    stop getting updates (e.g. after sharing it by mistake)."""
    with transaction.atomic():
        token = new_token()
        User.objects.filter(pk=user.pk).update(calendar_token=token)
        user.calendar_token = token
    return token
