"""Alice downloads everything held about her, and erases her account."""

from __future__ import annotations

import json

import pytest
from axes.models import AccessAttempt, AccessLog
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Cast
from django.test import Client
from django.urls import reverse

from accounts import privacy, services
from accounts.models import Consent, ConsentKind, Invitation, User
from tests.accounts.conftest import STRONG_PASSWORD
from tests.factories import PASSWORD, InvitationFactory

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def rows_mentioning(text: str) -> list[str]:
    """Every (model, field) whose stored value contains ``text``, over all installed models."""
    hits = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS):
                continue
            queryset = model._default_manager.all()
            if isinstance(field, models.JSONField):
                queryset = queryset.annotate(_as_text=Cast(field.name, models.TextField()))
                lookup = "_as_text__icontains"
            else:
                lookup = f"{field.attname}__icontains"
            if queryset.filter(**{lookup: text}).exists():
                hits.append(f"{model._meta.label}.{field.name}")
    return hits


@pytest.fixture
def sharing_app():
    """A stand-in for an app that registers its privacy handlers in ``ready()``."""
    calls: list[tuple[str, str]] = []

    def exporter(user: User) -> dict:
        calls.append(("export", user.email))
        return {"bookings": [{"holder": user.pseudonym, "seats": 4}]}

    def eraser(user: User) -> None:
        calls.append(("erase", user.email))

    privacy.register(name="test_sharing", exporter=exporter, eraser=eraser)
    yield calls
    privacy.unregister("test_sharing")


def download(client) -> dict:
    response = client.get(reverse("accounts:export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    return json.loads(response.content)


def test_download_contains_alice_and_nobody_else(
    client, household_admin, housemate, neighbour, sharing_app
):
    services.consents_record(user=household_admin, choices={ConsentKind.NEWSLETTER: True})
    client.force_login(household_admin)

    data = download(client)

    assert data["profile"]["email"] == "alice@example.org"
    assert data["profile"]["full_name"] == "Alice Visser"
    assert data["household"]["address"] == "Wisselspoor 1"
    assert data["household"]["is_primary_member"] is True
    assert {"kind": "newsletter", "granted": True} in [
        {"kind": c["kind"], "granted": c["granted"]} for c in data["consents"]
    ]
    assert data["test_sharing"] == {"bookings": [{"holder": household_admin.pseudonym, "seats": 4}]}
    assert sharing_app == [("export", "alice@example.org")]
    text = json.dumps(data)
    for someone_else in ("hans@example.org", "Hans Visser", "bob@example.org", "Bob de Boer"):
        assert someone_else not in text


def test_download_needs_a_log_in(client):
    response = client.get(reverse("accounts:export"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_erasure_asks_for_confirmation_first(client, resident):
    client.force_login(resident)

    page = client.get(reverse("accounts:erase"))
    wrong = client.post(reverse("accounts:erase"), {"confirmation": "bob@example.org"})

    assert b"This cannot be undone" in page.content
    assert wrong.status_code == 400
    assert b"Nothing was erased" in wrong.content
    resident.refresh_from_db()
    assert resident.erased_at is None and resident.email == "alice@example.org"


def test_after_erasure_no_text_column_holds_her_email_or_name(
    client, household_admin, housemate, fleet_admin, sharing_app
):
    alice = household_admin
    # Leave traces everywhere a real Alice would: log-ins (axes logs), a failed log-in,
    # consents, an API token, an invitation addressed to her, an admin change.
    client.post(reverse("accounts:login"), {"username": "alice@example.org", "password": PASSWORD})
    Client().post(reverse("accounts:login"), {"username": "alice@example.org", "password": "no"})
    assert AccessLog.objects.exists() and AccessAttempt.objects.exists()
    services.consents_record(user=alice, choices={ConsentKind.FEED_BACK: True})
    services.api_token_create(user=alice)
    InvitationFactory.create(email="alice@example.org")
    LogEntry.objects.create(
        user=fleet_admin,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(alice.pk),
        object_repr=str(alice),
        action_flag=CHANGE,
        change_message=f"Changed full name of {alice.full_name}.",
    )
    assert rows_mentioning("alice@example.org")
    assert rows_mentioning("Alice Visser")

    response = client.post(
        reverse("accounts:erase"), {"confirmation": "Alice@example.org"}, follow=True
    )

    assert b"Your account is erased" in response.content
    assert "_auth_user_id" not in client.session
    assert rows_mentioning("alice@example.org") == []
    assert rows_mentioning("Alice Visser") == []
    assert sharing_app == [("erase", "alice@example.org")]  # other apps erased their part first

    alice.refresh_from_db()
    assert alice.email == f"{alice.pseudonym}@erased.invalid"
    assert not alice.is_active and not alice.has_usable_password()
    assert alice.erased_at is not None
    assert alice.household_id is not None  # a pseudonymous reference for accounting
    assert not Consent.objects.filter(user=alice).exists()
    # Hans takes over the household.
    housemate.refresh_from_db()
    assert housemate.is_household_admin
    assert housemate.household is not None
    assert housemate.household.primary_member == housemate


def test_erased_resident_cannot_log_in_and_the_address_can_sign_up_again(
    client, resident, household
):
    services.user_erase(user=resident)

    refused = client.post(
        reverse("accounts:login"), {"username": "alice@example.org", "password": PASSWORD}
    )
    assert refused.status_code == 200 and "_auth_user_id" not in client.session

    invitation = InvitationFactory.create(household=household)
    response = client.post(
        reverse("accounts:signup"),
        {
            "invitation_code": invitation.code,
            "email": "alice@example.org",
            "full_name": "Alice Visser",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
        },
    )

    assert response.status_code == 302
    new_alice = User.objects.get(email="alice@example.org")
    assert new_alice.pk != resident.pk
    assert new_alice.pseudonym != resident.pseudonym


def test_open_invitations_for_an_erased_address_are_withdrawn(resident):
    InvitationFactory.create(email="alice@example.org")

    services.user_erase(user=resident)

    assert not Invitation.objects.filter(email="alice@example.org").exists()


def test_erasing_twice_is_harmless(resident, sharing_app):
    services.user_erase(user=resident)
    services.user_erase(user=resident)

    assert sharing_app == [("erase", "alice@example.org")]


def test_registry_refuses_names_that_accounts_uses():
    with pytest.raises(ValueError, match="reserved"):
        privacy.register(name="profile", exporter=lambda user: {})
