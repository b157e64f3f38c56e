"""Fiona the fleet admin approves licences and issues invitations; residents stay out."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Consent, Invitation, LicenceStatus
from tests.accounts.test_two_factor import code
from tests.factories import PASSWORD, UserFactory

CHANGELIST = reverse("admin:accounts_user_changelist")


def test_admin_refuses_residents(client, resident):
    client.force_login(resident)

    for url in (reverse("admin:index"), CHANGELIST):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_admin_log_in_refuses_a_resident_with_the_right_password(client, resident):
    response = client.post(
        reverse("admin:login"), {"username": "alice@example.org", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_admin_log_in_works_for_fleet_admins(client, fleet_admin):
    app = TOTPDevice.objects.create(user=fleet_admin, name="phone", confirmed=True)
    response = client.post(
        reverse("admin:login") + "?next=/admin/",
        {
            "username": "Fleet@example.org",
            "password": PASSWORD,
            "otp_token": code(app),  # the second factor: see test_two_factor
            "next": "/admin/",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_approve_action_approves_those_with_a_future_expiry_and_reports_the_rest(
    client, fleet_admin
):
    carol = UserFactory.create(
        email="carol@example.org",
        licence_status=LicenceStatus.PENDING,
        licence_expires_on=timezone.localdate() + timedelta(days=400),
    )
    dave = UserFactory.create(
        email="dave@example.org", licence_status=LicenceStatus.PENDING, licence_expires_on=None
    )
    client.force_login(fleet_admin)

    response = client.post(
        CHANGELIST,
        {"action": "approve_licence", "_selected_action": [carol.pk, dave.pk]},
        follow=True,
    )

    assert b"Approved 1 licence." in response.content
    assert b"dave@example.org" in response.content
    carol.refresh_from_db()
    dave.refresh_from_db()
    assert carol.licence_status == LicenceStatus.APPROVED
    assert carol.licence_reviewed_by == fleet_admin
    assert carol.licence_reviewed_at is not None
    assert dave.licence_status == LicenceStatus.PENDING


def test_reject_action(client, fleet_admin, resident):
    client.force_login(fleet_admin)

    client.post(CHANGELIST, {"action": "reject_licence", "_selected_action": [resident.pk]})

    resident.refresh_from_db()
    assert resident.licence_status == LicenceStatus.REJECTED
    assert not resident.may_book


def test_admin_adds_an_invitation_and_sees_its_code(client, fleet_admin, household):
    client.force_login(fleet_admin)

    response = client.post(
        reverse("admin:accounts_invitation_add"),
        {"household": household.pk, "email": "", "valid_days": 10},
        follow=True,
    )

    invitation = Invitation.objects.get()
    assert invitation.created_by == fleet_admin
    assert invitation.expires_at > timezone.now() + timedelta(days=9)
    assert invitation.code.encode() in response.content


def test_generate_invitation_action_on_households(client, fleet_admin, household):
    client.force_login(fleet_admin)

    response = client.post(
        reverse("admin:accounts_household_changelist"),
        {"action": "generate_invitation", "_selected_action": [household.pk]},
        follow=True,
    )

    invitation = Invitation.objects.get(household=household)
    assert invitation.code.encode() in response.content


def test_admin_pages_render_with_search_and_filters(client, fleet_admin, resident):
    Consent.objects.create(user=resident, kind="newsletter", granted=True)
    client.force_login(fleet_admin)

    for url in (
        CHANGELIST + "?q=alice",
        CHANGELIST + "?licence_status__exact=pending&confirmed=yes&is_staff__exact=0",
        reverse("admin:accounts_user_change", args=[resident.pk]),
        reverse("admin:accounts_user_add"),
        reverse("admin:accounts_household_change", args=[resident.household_id]),
        reverse("admin:accounts_invitation_changelist") + "?used=no&expired=no",
        reverse("admin:accounts_invitation_add"),
        reverse("admin:accounts_consent_changelist"),
    ):
        assert client.get(url).status_code == 200, url


def test_consents_are_read_only_in_admin(client, fleet_admin, resident):
    consent = Consent.objects.create(user=resident, kind="newsletter", granted=True)
    client.force_login(fleet_admin)

    page = client.get(reverse("admin:accounts_consent_change", args=[consent.pk]))

    assert page.status_code == 200
    assert b'name="granted"' not in page.content
    assert client.get(reverse("admin:accounts_consent_add")).status_code == 403
