"""Writes and workflows of accounts: joining, confirming, licences, consents, privacy.

Each function takes keyword-only arguments, runs in one transaction and queues mail only after
commit. Business rules raise Django's ``ValidationError`` with per-field messages, which forms
and the API turn into errors next to the right field.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from accounts import privacy, tasks
from accounts.models import (
    Consent,
    ConsentKind,
    Household,
    Invitation,
    LicenceStatus,
    User,
    new_token,
)
from accounts.selectors import consents_current
from accounts.tokens import ConfirmationLinkExpired, email_confirmation_read
from config import throttle

INVITATION_MAX_DAYS = 90


def normalise_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def normalise_invitation_code(code: str) -> str:
    """Accept what people type: lower case, spaces, missing dashes."""
    letters = re.sub(r"[^A-Za-z0-9]", "", code).upper()
    if len(letters) == 12:
        return "-".join(letters[i : i + 4] for i in range(0, 12, 4))
    return code.strip().upper()


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


def _invitation_problem(invitation: Invitation | None, email: str) -> dict[str, str]:
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
        problem = _invitation_problem(invitation, email)
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


def email_confirmation_request(*, user: User) -> None:
    """Send (again) the link that confirms the user's e-mail address."""
    language = translation.get_language() or "en"
    user_id = user.pk
    transaction.on_commit(lambda: tasks.send_email_confirmation.delay(user_id, language))


def password_reset_request(*, email: str) -> None:
    """Queue the reset mail for ``email`` whether or not an account has that address.

    The request itself neither looks the address up nor makes a token or a mail, so its answer
    and its timing are the same for every address. Nothing is written, so there is no commit to
    wait for. Without a broker the task runs on a thread of its own (``run_detached``), so that
    stays true on a laptop. At most ``password_reset_email`` mails per typed address: beyond,
    nothing is queued and the answer is still the same.
    """
    email = email.strip()
    if throttle.hit("password_reset_email", normalise_email(email)) is not None:
        return
    run_detached(tasks.send_password_reset, email, translation.get_language() or "en")


def run_detached(task: Any, *args: Any) -> None:
    """Queue ``task``; without a broker (tasks eager, in the caller) run it on a thread instead,
    so the caller does the same work and takes the same time whatever the task then does."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        task.delay(*args)
        return

    def run() -> None:
        try:
            task.apply(args=args)
        finally:
            connections.close_all()  # this thread's own connections

    threading.Thread(target=run, name=f"detached-{task.name}", daemon=True).start()


def user_confirm_email(*, token: str) -> User:
    """Mark the address in ``token`` as confirmed. Confirming twice is harmless."""
    invalid = ValidationError(
        _(
            "This confirmation link is not valid. Copy the whole link from the e-mail, "
            "or ask for a new one."
        ),
        code="invalid",
    )
    try:
        user_id, email = email_confirmation_read(token)
    except ConfirmationLinkExpired:
        raise ValidationError(
            _("This confirmation link has expired. Log in to ask for a new one."), code="expired"
        ) from None
    except Exception:
        raise invalid from None
    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .filter(pk=user_id, erased_at__isnull=True, is_active=True)
            .first()
        )
        if user is None or user.email != email:
            raise invalid
        if user.email_confirmed_at is None:
            user.email_confirmed_at = timezone.now()
            user.save(update_fields=["email_confirmed_at"])
    return user


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


def _hand_over_primary(household: Household, leaving: User) -> None:
    """If ``leaving`` is the primary member, the longest-standing other member takes over."""
    if household.primary_member_id != leaving.pk:
        return
    successor = (
        household.members.filter(erased_at__isnull=True, is_active=True)
        .exclude(pk=leaving.pk)
        .order_by("date_joined", "id")
        .first()
    )
    household.primary_member = successor
    household.save(update_fields=["primary_member"])
    if successor is not None and not successor.is_household_admin:
        successor.is_household_admin = True
        successor.save(update_fields=["is_household_admin"])


def household_member_remove(*, member: User, removed_by: User) -> None:
    """A household admin takes a member out of their own household."""
    if not removed_by.is_household_admin or member.household_id != removed_by.household_id:
        raise PermissionDenied(_("Only this household's admin can remove its members."))
    if member.pk == removed_by.pk:
        raise ValidationError(
            _("You cannot remove yourself. To leave, erase your account on this page.")
        )
    with transaction.atomic():
        household = Household.objects.select_for_update().get(members=removed_by)
        _hand_over_primary(household, member)
        member.household = None
        member.is_household_admin = False
        member.save(update_fields=["household", "is_household_admin"])


def api_token_create(*, user: User) -> str:
    """A new API token for ``user``; any previous token stops working."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        token: Token = Token.objects.create(user=user)
    return str(token.key)


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
            _hand_over_primary(household, user)

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
