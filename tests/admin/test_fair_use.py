"""A household's fair-use override replaces the hub's limits in the booking rules."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from sharing.models import FairUseOverride
from sharing.rules import fair_use_errors
from tests.admin.conftest import NOW, book


def test_override_raises_the_open_bookings_limit(hub, resident):
    for n in range(2):
        book(resident, hub, start=NOW + timedelta(days=1 + n))
    start = NOW + timedelta(days=5)

    def errors():
        return fair_use_errors(
            hub=hub,
            household_id=resident.household_id,
            start=start,
            end=start + timedelta(hours=2),
            now=NOW,
        )

    assert "non_field_errors" in errors()
    FairUseOverride.objects.create(household=resident.household, max_concurrent_bookings=3)
    assert errors() == {}


def test_override_lowers_the_weekly_hours(hub, resident):
    FairUseOverride.objects.create(household=resident.household, max_hours_per_week=1)
    start = NOW + timedelta(days=1)

    errors = fair_use_errors(
        hub=hub,
        household_id=resident.household_id,
        start=start,
        end=start + timedelta(hours=2),
        now=NOW,
    )

    assert errors["end"] == ["Your household may book at most 1 hours per week."]


def test_fleet_admin_sets_an_override_in_the_admin(admin_client, resident):
    response = admin_client.post(
        reverse("admin:sharing_fairuseoverride_add"),
        {
            "household": resident.household_id,
            "max_concurrent_bookings": "4",
            "max_hours_per_week": "",
            "reason": "care visits",
        },
    )

    assert response.status_code == 302
    override = FairUseOverride.objects.get()
    assert (override.max_concurrent_bookings, override.max_hours_per_week) == (4, None)


def test_licence_queue_lists_pending_licences(admin_client, resident):
    from accounts.models import LicenceStatus
    from tests.factories import UserFactory

    carol = UserFactory.create(email="carol@example.org", licence_status=LicenceStatus.PENDING)

    response = admin_client.get(
        reverse("admin:accounts_user_changelist"), {"licence_queue": "pending"}
    )

    assert [u.pk for u in response.context["cl"].result_list] == [carol.pk]
