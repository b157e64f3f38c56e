"""A fleet admin's review of a resident's driving licence: approved until a date in the future,
or rejected; either way who reviewed it and when is kept.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import LicenceStatus, User


def user_approve_licence(*, user: User, expires_on: date, reviewed_by: User) -> User:
    """A fleet admin saw the driving licence; it is valid until ``expires_on``."""
    if expires_on <= timezone.localdate():
        raise ValidationError(
            {
                "licence_expires_on": _(
                    "A licence can only be approved with an expiry date in the future."
                )
            }
        )
    if user.erased_at is not None:
        raise ValidationError(_("An erased account cannot be approved."))
    with transaction.atomic():
        user.licence_status = LicenceStatus.APPROVED
        user.licence_expires_on = expires_on
        user.licence_reviewed_at = timezone.now()
        user.licence_reviewed_by = reviewed_by
        user.save(
            update_fields=[
                "licence_status",
                "licence_expires_on",
                "licence_reviewed_at",
                "licence_reviewed_by",
            ]
        )
    return user


def user_reject_licence(*, user: User, reviewed_by: User) -> User:
    with transaction.atomic():
        user.licence_status = LicenceStatus.REJECTED
        user.licence_reviewed_at = timezone.now()
        user.licence_reviewed_by = reviewed_by
        user.save(update_fields=["licence_status", "licence_reviewed_at", "licence_reviewed_by"])
    return user
