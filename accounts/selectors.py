"""Reads of residents, households and consents, always scoped to the asking resident."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accounts import privacy
from accounts.models import Consent, ConsentKind, Household, Invitation, User

EXPORT_FORMAT = "wisselstroom-personal-data/1"


def consents_current(*, user: User) -> dict[str, Consent | None]:
    """The latest recorded choice per kind (``None`` when never asked)."""
    current: dict[str, Consent | None] = dict.fromkeys(ConsentKind.values)
    # Ordered newest first (model Meta), so the first row seen per kind is the current one.
    for consent in Consent.objects.filter(user=user).order_by("-recorded_at", "-id"):
        if current.get(consent.kind) is None:
            current[consent.kind] = consent
    return current


def household_members(*, household: Household) -> QuerySet[User]:
    """Members still in the household; erased residents stay only as a pseudonymous reference."""
    return household.members.filter(erased_at__isnull=True, is_active=True).order_by(
        "date_joined", "id"
    )


def household_open_invitations(*, household: Household) -> QuerySet[Invitation]:
    return household.invitations.filter(used_at__isnull=True, expires_at__gt=timezone.now())


def user_export(*, user: User) -> dict[str, Any]:
    """Everything held about one resident, for the data download (GDPR art. 15 and 20).

    Only this resident's data: the household is described, but not its other members.
    """
    household = user.household
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "generated_at": timezone.now(),
        "profile": {
            "pseudonym": user.pseudonym,
            "email": user.email,
            "full_name": user.full_name,
            "phone": user.phone,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "email_confirmed_at": user.email_confirmed_at,
            "is_household_admin": user.is_household_admin,
            "licence": {
                "number": user.licence_number,
                "status": user.licence_status,
                "expires_on": user.licence_expires_on,
                "reviewed_at": user.licence_reviewed_at,
            },
        },
        "household": None
        if household is None
        else {
            "name": household.name,
            "address": household.address,
            "district": household.district,
            "is_primary_member": household.primary_member_id == user.pk,
        },
        "consents": [
            {"kind": c.kind, "granted": c.granted, "recorded_at": c.recorded_at}
            for c in Consent.objects.filter(user=user).order_by("recorded_at", "id")
        ],
    }
    data.update(privacy.export_sections(user))
    return data
