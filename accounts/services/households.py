"""Household membership: a household admin removes a member, and when the primary member leaves
(removed or erased) the longest-standing other member takes over.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Household, User


def hand_over_primary(household: Household, leaving: User) -> None:
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
        hand_over_primary(household, member)
        member.household = None
        member.is_household_admin = False
        member.save(update_fields=["household", "is_household_admin"])
