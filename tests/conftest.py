"""Named actors and shared fixtures: ``resident``, ``neighbour`` and ``fleet_admin``."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from tests.factories import HouseholdFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Caches (hub car rows, re-plan counters, locks) must not leak from one test to the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _language_reset():
    """A request in Dutch leaves Dutch active in this thread (LocaleMiddleware activates, nothing
    deactivates outside a real server): later tests' mails would come out in Dutch."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _staff_second_factor(settings, monkeypatch):
    """The admin asks staff for a second factor here too (as in production); a test that logs
    staff in with ``force_login`` gets a session verified by a confirmed TOTP device of theirs,
    as if they had typed its code (tests/accounts/test_two_factor.py logs in for real)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.ADMIN_REQUIRE_2FA = True
    force_login = Client.force_login

    def force_login_verified(self, user, backend=None):
        force_login(self, user, backend)
        if user.is_staff:
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="test app", defaults={"confirmed": True}
            )
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login_verified)


@pytest.fixture
def household(db):
    return HouseholdFactory(name="Household Alice", address="Wisselspoor 1")


@pytest.fixture
def resident(household):
    """Alice: confirmed, licence approved, may book."""
    return UserFactory(email="alice@example.org", full_name="Alice Visser", household=household)


@pytest.fixture
def neighbour(db):
    """Bob: another household in the district."""
    return UserFactory(
        email="bob@example.org",
        full_name="Bob de Boer",
        household=HouseholdFactory(name="Household Bob", address="Wisselspoor 2"),
    )


@pytest.fixture
def fleet_admin(db):
    return UserFactory(
        email="fleet@example.org",
        full_name="Fiona Fleet",
        is_staff=True,
        is_superuser=True,
        household=None,
    )


@pytest.fixture
def hub(db):
    """The Wisselspoor hub with the default rules."""
    from tests.factories import HubFactory

    return HubFactory()
