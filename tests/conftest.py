"""Named actors and shared fixtures: ``resident``, ``neighbour`` and ``fleet_admin``."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import HouseholdFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Caches (hub car rows, re-plan counters, locks) must not leak from one test to the next."""
    cache.clear()
    yield
    cache.clear()


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
