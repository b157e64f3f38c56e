"""Joining: issuing an invitation code for a household and signing up with one (the first member
becomes the household's primary member and admin; the address still needs confirming and the
licence approving before the resident may book).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Consent, ConsentKind, Household, Invitation, LicenceStatus, User
from accounts.rules import (
    INVITATION_MAX_DAYS,
    invitation_problem,
    normalise_email,
    normalise_invitation_code,
)
from accounts.services.email import email_confirmation_request


def invitation_create(
    *, household: Household, created_by: User, email: str = "", valid_days: int = 14
) -> Invitation:
    """Issue a single-use code for ``household``: by a fleet admin, or by its household admin."""
    may_issue = created_by.is_staff or (
        created_by.is_household_admin and created_by.household_id == household.pk
    )
    if not may_issue:
        raise PermissionDenied(_("Only a fleet admin or this household's admin can invite."))
    if not 1 <= valid_days <= INVITATION_MAX_DAYS:
        raise ValidationError(
            {
                "valid_days": _("An invitation is valid for 1 to %(max)d days.")
                % {"max": INVITATION_MAX_DAYS}
            }
        )
    email = normalise_email(email) if email else ""
    if email and User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": _("Someone with this e-mail address already has an account.")}
        )
    with transaction.atomic():
        return Invitation.objects.create(
            household=household,
            email=email,
            created_by=created_by,
            expires_at=timezone.now() + timedelta(days=valid_days),
        )


def user_signup(
    *,
    invitation_code: str,
    email: str,
    full_name: str,
    password: str,
    consents: Mapping[str, bool] | None = None,
) -> User:
    """Join a household with an invitation.

    The new resident may log in but not book: the e-mail address must be confirmed and a fleet
    admin must approve the driving licence first. The first member of a household becomes its
    primary member and household admin. Nothing is written unless everything is valid.
    """
    email = normalise_email(email)
    code = normalise_invitation_code(invitation_code)
    with transaction.atomic():
        # Locking the invitation makes "single use" hold under concurrent sign-ups.
        invitation = Invitation.objects.select_for_update().filter(code=code).order_by().first()
        # The code first, and alone: only someone holding a valid invitation may learn
        # whether an address already has an account.
        problem = invitation_problem(invitation, email)
        if problem:
            raise ValidationError(problem)
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(
                {
                    "email": _(
                        "An account with this e-mail address already exists. Log in, or reset "
                        "your password if you forgot it."
                    )
                }
            )
        assert invitation is not None
        household = Household.objects.select_for_update().get(pk=invitation.household_id)

        user = User(
            email=email,
            full_name=full_name.strip(),
            household=household,
            licence_status=LicenceStatus.PENDING,
        )
        user.set_password(password)
        if household.primary_member_id is None:
            user.is_household_admin = True
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # Two sign-ups with one address at once: the unique index decides.
            raise ValidationError(
                {"email": _("An account with this e-mail address already exists.")}
            ) from None
        if household.primary_member_id is None:
            household.primary_member = user
            household.save(update_fields=["primary_member"])

        invitation.used_at = timezone.now()
        invitation.used_by = user
        invitation.save(update_fields=["used_at", "used_by"])

        choices = consents or {}
        Consent.objects.bulk_create(
            Consent(user=user, kind=kind, granted=bool(choices.get(kind, False)))
            for kind in ConsentKind.values
        )
        email_confirmation_request(user=user)
    return user
