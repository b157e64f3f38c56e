"""Actors for the accounts tests, on top of ``resident`` (Alice), ``neighbour`` (Bob) and
``fleet_admin`` (Fiona) from ``tests/conftest.py``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Household, Invitation, User
from tests.factories import HouseholdFactory, InvitationFactory, UserFactory

STRONG_PASSWORD = "lantern-orchard-42-bicycle"


@pytest.fixture
def household_admin(resident: User) -> User:
    """Alice as the primary member and admin of her household."""
    resident.is_household_admin = True
    resident.save(update_fields=["is_household_admin"])
    assert resident.household is not None
    resident.household.primary_member = resident
    resident.household.save(update_fields=["primary_member"])
    return resident


@pytest.fixture
def housemate(household: Household) -> User:
    """Hans lives with Alice."""
    return UserFactory.create(
        email="hans@example.org", full_name="Hans Visser", household=household
    )


@pytest.fixture
def new_household(db) -> Household:
    """Carol's home: nobody has joined yet."""
    return HouseholdFactory.create(name="Household Carol", address="Wisselspoor 3")


@pytest.fixture
def invitation(new_household: Household, fleet_admin: User) -> Invitation:
    return InvitationFactory.create(household=new_household, created_by=fleet_admin)


@pytest.fixture
def signup_data(invitation: Invitation) -> dict[str, str]:
    """What Carol types into the sign-up form."""
    return {
        "invitation_code": invitation.code,
        "email": "carol@example.org",
        "full_name": "Carol Jansen",
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
        "newsletter": "on",
    }


@pytest.fixture
def expired_invitation(new_household: Household) -> Invitation:
    return InvitationFactory.create(
        household=new_household, expires_at=timezone.now() - timedelta(days=1)
    )


@pytest.fixture(autouse=True)
def detached_tasks_run_inline(monkeypatch):
    """Without a broker the password reset task runs on a thread of its own; here it runs in
    the request, on the test's database connection, so its mail is there when the page is."""
    monkeypatch.setattr(
        "accounts.services.email.run_detached", lambda task, *args: task.apply(args=args)
    )
