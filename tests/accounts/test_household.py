"""Alice runs her household: invites Hans, removes members; Bob cannot touch her household."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import Invitation
from tests.factories import UserFactory


def test_household_admin_invites_a_new_member_and_sees_the_code(client, household_admin):
    client.force_login(household_admin)

    response = client.post(
        reverse("accounts:invitation-create"),
        {"email": "hans@example.org", "valid_days": 7},
        follow=True,
    )

    invitation = Invitation.objects.get(household=household_admin.household)
    assert invitation.email == "hans@example.org"
    assert invitation.created_by == household_admin
    assert invitation.code.encode() in response.content
    assert b"New invitation code" in response.content


def test_ordinary_member_cannot_invite(client, household_admin, housemate):
    client.force_login(housemate)

    response = client.post(reverse("accounts:invitation-create"), {"valid_days": 7})

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_invalid_invitation_form_shows_the_problem(client, household_admin):
    client.force_login(household_admin)

    response = client.post(reverse("accounts:invitation-create"), {"valid_days": 365})

    assert response.status_code == 400
    assert b"less than or equal to 90" in response.content
    assert not Invitation.objects.exists()


def test_household_admin_removes_a_member(client, household_admin, housemate):
    client.force_login(household_admin)

    response = client.post(reverse("accounts:member-remove", args=[housemate.pk]), follow=True)

    assert b"is no longer a member of your household" in response.content
    housemate.refresh_from_db()
    assert housemate.household is None
    assert not housemate.may_book


def test_household_admin_cannot_remove_themselves(client, household_admin):
    client.force_login(household_admin)

    response = client.post(
        reverse("accounts:member-remove", args=[household_admin.pk]), follow=True
    )

    assert b"You cannot remove yourself" in response.content
    household_admin.refresh_from_db()
    assert household_admin.household is not None


def test_ordinary_member_cannot_remove_anyone(client, household_admin, housemate):
    client.force_login(housemate)

    response = client.post(reverse("accounts:member-remove", args=[household_admin.pk]))

    assert response.status_code == 403
    household_admin.refresh_from_db()
    assert household_admin.household is not None


def test_neighbour_gets_404_for_another_households_member(client, household_admin, neighbour):
    neighbour.is_household_admin = True
    neighbour.save()
    client.force_login(neighbour)

    response = client.post(reverse("accounts:member-remove", args=[household_admin.pk]))

    assert response.status_code == 404
    household_admin.refresh_from_db()
    assert household_admin.household is not None


def test_account_page_lists_only_my_households_members(
    client, household_admin, housemate, neighbour
):
    client.force_login(household_admin)

    response = client.get(reverse("accounts:profile"))

    assert b"Hans Visser" in response.content
    assert b"Bob de Boer" not in response.content
    assert b"Remove Hans Visser" in response.content


def test_member_without_household_sees_so(client, db):
    loner = UserFactory.create(household=None, full_name="Lone Ranger")
    client.force_login(loner)

    response = client.get(reverse("accounts:profile"))

    assert b"You are not a member of a household" in response.content
