"""Erasing a resident (GDPR art. 17): other apps erase their part through ``accounts.privacy``,
then personal fields, consents, tokens, invitations, log-in records and admin log texts go, and
the row stays under its pseudonym.
"""

from __future__ import annotations

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts import privacy
from accounts.models import Consent, Household, Invitation, User, new_token
from accounts.services.households import hand_over_primary


def user_erase(*, user: User) -> None:
    """Erase a resident (GDPR art. 17).

    Personal fields are wiped; the row stays under its pseudonym, because bookings, trips, invoices
    and grid records must keep referring to *someone*. Other apps erase their part through
    ``accounts.privacy`` first, while the old e-mail address and name can still be read.
    """
    assert user.pk is not None
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.erased_at is not None:
            return
        old_email = user.email
        privacy.erase_everywhere(user)

        Consent.objects.filter(user=user).delete()
        Token.objects.filter(user=user).delete()
        # Open invitations addressed to them go; used ones forget the address.
        Invitation.objects.filter(email__iexact=old_email, used_at__isnull=True).delete()
        Invitation.objects.filter(email__iexact=old_email).update(email="")
        _erase_security_logs(old_email)
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
        ).update(object_repr=user.pseudonym, change_message="")

        if user.household_id is not None:
            household = Household.objects.select_for_update().get(pk=user.household_id)
            hand_over_primary(household, user)

        user.email = f"{user.pseudonym}@erased.invalid"
        user.full_name = ""
        user.phone = ""
        user.licence_number = ""
        user.set_unusable_password()
        user.is_active = False
        user.is_household_admin = False
        user.is_staff = False
        user.is_superuser = False
        user.calendar_token = new_token()  # revokes calendar subscriptions
        user.erased_at = timezone.now()
        user.save()


def _erase_security_logs(email: str) -> None:
    """django-axes keeps the typed user name (the e-mail address) with each log-in attempt."""
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__iexact=email).delete()
