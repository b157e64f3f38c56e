"""Alice's account page: profile, consents and API token."""

from __future__ import annotations

from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.models import Consent, ConsentKind
from accounts.selectors import consents_current


def test_account_page_needs_a_log_in(client):
    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_resident_updates_name_and_phone(client, resident):
    client.force_login(resident)

    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "Alice de Visser", "phone": "+31 6 1234 5678"},
        follow=True,
    )

    assert b"Your profile is saved" in response.content
    assert b"Alice de Visser" in response.content
    resident.refresh_from_db()
    assert (resident.full_name, resident.phone) == ("Alice de Visser", "+31 6 1234 5678")


def test_empty_name_is_refused(client, resident):
    client.force_login(resident)

    response = client.post(reverse("accounts:profile"), {"full_name": "", "phone": ""})

    assert response.status_code == 400
    assert b"This field is required" in response.content
    resident.refresh_from_db()
    assert resident.full_name == "Alice Visser"


def test_account_page_says_what_is_missing_before_booking(client, resident):
    resident.email_confirmed_at = None
    resident.licence_status = "pending"
    resident.save()
    client.force_login(resident)

    response = client.get(reverse("accounts:profile"))

    assert b"Confirm your e-mail address" in response.content
    assert b"still has to check your driving licence" in response.content


def test_each_consent_change_is_a_new_row_and_the_latest_counts(client, resident):
    client.force_login(resident)
    url = reverse("accounts:consents")

    client.post(url, {"newsletter": "on", "feed_back": "on"})
    client.post(url, {"newsletter": "on"})  # withdraws feed-back only
    response = client.post(url, {"newsletter": "on"}, follow=True)  # nothing changes

    assert b"Nothing changed" in response.content
    history = list(
        Consent.objects.filter(user=resident)
        .order_by("recorded_at", "id")
        .values_list("kind", "granted")
    )
    assert history == [
        ("share_charge_level", False),
        ("feed_back", True),
        ("newsletter", True),
        ("feed_back", False),
    ]
    current = consents_current(user=resident)
    assert current[ConsentKind.NEWSLETTER].granted  # type: ignore[union-attr]
    assert not current[ConsentKind.FEED_BACK].granted  # type: ignore[union-attr]
    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'name="newsletter" id="id_newsletter" checked' in page


def test_consents_with_htmx_answer_with_the_fragment_only(client, resident):
    client.force_login(resident)

    response = client.post(
        reverse("accounts:consents"), {"newsletter": "on"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert b"Saved." in response.content
    assert b"<html" not in response.content
    assert "HX-Request" in response["Vary"]


def test_api_token_is_shown_once_and_replaces_the_old_one(client, resident):
    client.force_login(resident)

    first = client.post(reverse("accounts:api-token"))
    first_key = Token.objects.get(user=resident).key
    second = client.post(reverse("accounts:api-token"))
    key = Token.objects.get(user=resident).key

    assert first_key.encode() in first.content
    assert key != first_key
    assert key.encode() in second.content
    assert b"shown only this once" in second.content
    assert second["Cache-Control"] == "no-store"
    assert key.encode() not in client.get(reverse("accounts:profile")).content
