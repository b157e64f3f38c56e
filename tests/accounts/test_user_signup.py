"""Carol joins her household with an invitation code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Consent, ConsentKind, Household, Invitation, LicenceStatus, User
from tests.accounts.conftest import STRONG_PASSWORD
from tests.factories import InvitationFactory, UserFactory

SIGNUP = reverse("accounts:signup")


def counts() -> tuple[int, int, int]:
    return (
        User.objects.count(),
        Invitation.objects.filter(used_at__isnull=False).count(),
        Consent.objects.count(),
    )


def test_valid_invitation_creates_a_resident_who_cannot_book_yet(
    client, signup_data, invitation, new_household, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP, signup_data, follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:signup-done")
    assert b"carol@example.org" in response.content
    carol = User.objects.get(email="carol@example.org")
    assert carol.full_name == "Carol Jansen"
    assert carol.household == new_household
    assert carol.check_password(STRONG_PASSWORD)
    assert carol.licence_status == LicenceStatus.PENDING
    assert carol.email_confirmed_at is None
    assert not carol.may_book
    invitation.refresh_from_db()
    assert invitation.used_by == carol and invitation.used_at is not None
    assert [m.to for m in mailoutbox] == [["carol@example.org"]]
    assert "/accounts/confirm/" in mailoutbox[0].body


def test_first_member_becomes_primary_member_and_household_admin(client, signup_data):
    client.post(SIGNUP, signup_data)

    carol = User.objects.get(email="carol@example.org")
    household = Household.objects.get(members=carol)
    assert household.primary_member == carol
    assert carol.is_household_admin


def test_second_member_is_an_ordinary_member(client, household_admin, household):
    invitation = InvitationFactory.create(household=household)
    client.post(
        SIGNUP,
        {
            "invitation_code": invitation.code.lower().replace("-", " "),  # as people type it
            "email": "Hans@Example.org",
            "full_name": "Hans Visser",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
        },
    )

    hans = User.objects.get(email="hans@example.org")
    assert hans.household == household
    assert not hans.is_household_admin
    household.refresh_from_db()
    assert household.primary_member == household_admin


def test_consents_ticked_at_sign_up_are_recorded(client, signup_data):
    client.post(SIGNUP, signup_data)

    carol = User.objects.get(email="carol@example.org")
    recorded = {c.kind: c.granted for c in carol.consents.all()}
    assert recorded == {
        ConsentKind.NEWSLETTER: True,
        ConsentKind.SHARE_CHARGE_LEVEL: False,
        ConsentKind.FEED_BACK: False,
    }


def assert_refused(response, field: str, message: str) -> None:
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert message.encode() in response.content


def test_unknown_code_is_refused_and_nothing_is_written(client, signup_data):
    before = counts()

    response = client.post(SIGNUP, {**signup_data, "invitation_code": "AAAA-BBBB-CCCC"})

    assert_refused(response, "invitation_code", "know this invitation code")
    assert counts() == before


def test_used_code_is_refused(client, signup_data, invitation, resident):
    invitation.used_at = timezone.now()
    invitation.used_by = resident
    invitation.save()
    before = counts()

    response = client.post(SIGNUP, signup_data)

    assert_refused(response, "invitation_code", "already been used")
    assert counts() == before


def test_expired_code_is_refused(client, signup_data, expired_invitation):
    before = counts()

    response = client.post(SIGNUP, {**signup_data, "invitation_code": expired_invitation.code})

    assert_refused(response, "invitation_code", "expired")
    assert counts() == before


def test_code_bound_to_another_address_is_refused(client, signup_data, invitation):
    invitation.email = "someone.else@example.org"
    invitation.save()
    before = counts()

    response = client.post(SIGNUP, signup_data)

    assert_refused(response, "invitation_code", "different e-mail address")
    assert counts() == before


def test_code_bound_to_this_address_works(client, signup_data, invitation):
    invitation.email = "carol@example.org"
    invitation.save()

    client.post(SIGNUP, {**signup_data, "email": "CAROL@example.org"})

    assert User.objects.filter(email="carol@example.org").exists()


def test_duplicate_email_is_refused(client, signup_data, resident):
    before = counts()

    response = client.post(SIGNUP, {**signup_data, "email": "Alice@Example.org"})

    assert_refused(response, "email", "already exists")
    assert counts() == before


@pytest.mark.parametrize(
    ("password", "message"),
    [("short", "too short"), ("password123", "too common"), ("8675309247156", "entirely numeric")],
)
def test_weak_password_is_refused(client, signup_data, password, message):
    before = counts()

    response = client.post(SIGNUP, {**signup_data, "password1": password, "password2": password})

    assert_refused(response, "password1", message)
    assert counts() == before


def test_password_too_much_like_the_email_address_is_refused(client, signup_data):
    response = client.post(
        SIGNUP, {**signup_data, "password1": "carol@example.org", "password2": "carol@example.org"}
    )

    assert_refused(response, "password1", "too similar")


def test_passwords_that_differ_are_refused(client, signup_data):
    response = client.post(SIGNUP, {**signup_data, "password2": STRONG_PASSWORD + "!"})

    assert_refused(response, "password2", "not the same")
    assert not User.objects.filter(email="carol@example.org").exists()


def test_refused_form_keeps_what_was_typed_except_the_passwords(client, signup_data):
    response = client.post(SIGNUP, {**signup_data, "invitation_code": "AAAA-BBBB-CCCC"})

    html = response.content.decode()
    assert 'value="carol@example.org"' in html
    assert 'value="Carol Jansen"' in html
    assert 'value="AAAA-BBBB-CCCC"' in html
    assert STRONG_PASSWORD not in html


def test_an_invitation_works_only_once(client, signup_data):
    client.post(SIGNUP, signup_data)
    other = client.post(
        SIGNUP, {**signup_data, "email": "dave@example.org", "full_name": "Dave Smit"}
    )

    assert_refused(other, "invitation_code", "already been used")
    assert not User.objects.filter(email="dave@example.org").exists()


def test_sign_up_page_renders_for_visitors(client):
    response = client.get(SIGNUP)

    assert response.status_code == 200
    assert b"Invitation code" in response.content
    assert b'name="newsletter"' in response.content


def test_invitation_valid_until_its_last_moment(client, signup_data, invitation):
    invitation.expires_at = timezone.now() + timedelta(minutes=1)
    invitation.save()

    response = client.post(SIGNUP, signup_data)

    assert response.status_code == 302


def test_logged_in_resident_is_sent_to_the_account_page(client, resident):
    client.force_login(resident)

    response = client.get(SIGNUP)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")


def test_factory_user_still_may_book(resident):
    """Guard: the shared factory makes residents who may book (others rely on it)."""
    assert resident.may_book
    assert UserFactory.create().may_book


@pytest.mark.parametrize(
    "code_problem",
    ["unknown", "used", "expired"],
)
def test_wrong_code_never_tells_whether_the_address_has_an_account(
    client, signup_data, invitation, resident, code_problem
):
    """With a wrong code the answer is about the code only, for Alice's address and a new one."""
    if code_problem == "unknown":
        signup_data = {**signup_data, "invitation_code": "AAAA-BBBB-CCCC"}
    elif code_problem == "used":
        invitation.used_at = timezone.now()
        invitation.used_by = resident
        invitation.save()
    else:
        invitation.expires_at = timezone.now() - timedelta(days=1)
        invitation.save()
    before = counts()

    registered = client.post(SIGNUP, {**signup_data, "email": "alice@example.org"})
    unregistered = client.post(SIGNUP, {**signup_data, "email": "nobody@example.org"})

    for response in (registered, unregistered):
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert set(errors) == {"invitation_code"}, errors
        assert b"already exists" not in response.content
    assert registered.context["form"].errors == unregistered.context["form"].errors
    assert counts() == before
