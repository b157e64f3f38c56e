"""Limits on what can be guessed or floods mail: sign-up (invitation codes), password reset,
invitation codes issued, API tokens and the API itself. Beyond a limit: 429 with a message a
person understands and ``Retry-After``; below it nothing changes. An unreachable Redis lifts
the limits rather than refusing everyone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Invitation
from config.cache import caches_for

pytestmark = pytest.mark.django_db
JSON = {"format": "json"}


@pytest.fixture(autouse=True)
def mid_window():
    """The limits count in clock-aligned windows: each test starts 20 minutes and 10 seconds
    into an hour, so no window ends while it runs and a wait reads in minutes (run in the last
    two minutes of an hour, "Try again in 90 seconds" failed the Dutch test's "minuten")."""
    with time_machine.travel(datetime(2026, 12, 8, 10, 20, 10, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def rates(settings):
    settings.THROTTLE_RATES = {
        "anon": "3/minute",
        "user": "4/minute",
        "signup": "3/hour",
        "invitation": "2/day",
        "password_reset": "3/hour",
        "password_reset_email": "2/hour",
        "api_token": "2/hour",
    }
    return settings.THROTTLE_RATES


def assert_paused(response):
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "Too many attempts" in html
    assert "Try again in" in html


def test_signup_attempts_per_address_are_limited(client, rates, signup_data):
    wrong = {**signup_data, "invitation_code": "ABCD-EFGH-JKLM"}
    for _ in range(3):
        assert client.post(reverse("accounts:signup"), wrong).status_code == 400
    assert_paused(client.post(reverse("accounts:signup"), signup_data))
    # Even the right code waits: guessing must not pay off.
    assert not Invitation.objects.filter(used_at__isnull=False).exists()
    # Another address is not held back, and the page itself still shows.
    other = client.post(reverse("accounts:signup"), signup_data, REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 302
    assert client.get(reverse("accounts:signup")).status_code == 200


def test_a_forged_x_forwarded_for_does_not_reset_the_count(client, rates, signup_data):
    wrong = {**signup_data, "invitation_code": "ABCD-EFGH-JKLM"}
    for n in range(3):
        client.post(reverse("accounts:signup"), wrong, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert_paused(
        client.post(reverse("accounts:signup"), wrong, HTTP_X_FORWARDED_FOR="198.51.100.99")
    )


def test_password_reset_requests_per_address_are_limited(client, rates, resident, mailoutbox):
    url = reverse("accounts:password_reset")
    for n in range(3):
        assert client.post(url, {"email": f"someone{n}@example.org"}).status_code == 302
    assert_paused(client.post(url, {"email": "alice@example.org"}))
    assert mailoutbox == []


def test_reset_mails_per_typed_address_stop_silently(client, rates, resident, mailoutbox):
    url = reverse("accounts:password_reset")
    answers = [
        client.post(url, {"email": "alice@example.org"}, REMOTE_ADDR=f"192.0.2.{n}")
        for n in range(4)
    ]
    # The answer never tells: same redirect each time; only two mails went out.
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, reverse("accounts:password_reset_done"))
    }
    assert len(mailoutbox) == 2


def test_invitation_codes_per_household_admin_are_limited(client, rates, household_admin):
    client.force_login(household_admin)
    url = reverse("accounts:invitation-create")
    for _ in range(2):
        assert client.post(url, {"valid_days": 7}).status_code == 302
    assert_paused(client.post(url, {"valid_days": 7}))
    assert Invitation.objects.filter(created_by=household_admin).count() == 2


def test_new_api_tokens_per_user_are_limited(client, rates, resident):
    client.force_login(resident)
    url = reverse("accounts:api-token")
    for _ in range(2):
        assert client.post(url).status_code == 200
    key = Token.objects.get(user=resident).key
    assert_paused(client.post(url))
    assert Token.objects.get(user=resident).key == key  # the token in use keeps working


def test_api_without_credentials_is_limited_per_address(rates, db):
    api = APIClient()
    for _ in range(3):
        assert api.get(reverse("api-schema"), JSON).status_code == 200
    response = api.get(reverse("api-schema"), JSON, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Too many requests. Try again in ")
    assert int(response["Retry-After"]) > 0
    assert api.get(reverse("api-schema"), JSON, REMOTE_ADDR="192.0.2.9").status_code == 200


def test_wrong_tokens_are_limited_per_address_before_any_lookup(
    rates, settings, resident, hub, django_assert_num_queries
):
    settings.THROTTLE_RATES = {**rates, "token_failure": "3/hour"}
    good = Token.objects.create(user=resident).key
    api = APIClient()
    for n in range(3):
        api.credentials(HTTP_AUTHORIZATION=f"Token {n:040d}")
        assert api.get(reverse("api-hub-list")).status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {good}")
    with django_assert_num_queries(0):
        response = api.get(reverse("api-hub-list"))
    assert response.status_code == 429
    assert "Too many requests" in response.json()["detail"]
    # Elsewhere the right token works.
    assert api.get(reverse("api-hub-list"), REMOTE_ADDR="192.0.2.10").status_code == 200


def test_api_with_a_token_is_limited_per_user(rates, resident, neighbour, hub):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=resident).key}")
    for _ in range(4):
        assert api.get(reverse("api-hub-list")).status_code == 200
    assert api.get(reverse("api-hub-list")).status_code == 429
    # Bob, from the same address, has his own allowance.
    bob = APIClient()
    bob.force_authenticate(neighbour)
    assert bob.get(reverse("api-hub-list")).status_code == 200


def test_the_schema_documents_429(client, db):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "429" in operation["responses"], (method, path)


def test_an_unreachable_redis_lifts_the_limits(settings, rates, client, signup_data, caplog):
    settings.CACHES = caches_for("redis://127.0.0.1:9/0", key_prefix="throttle-test")
    wrong = {**signup_data, "invitation_code": "ABCD-EFGH-JKLM"}
    for _ in range(5):
        assert client.post(reverse("accounts:signup"), wrong).status_code == 400


def test_the_pause_is_explained_in_dutch_too(client, rates, signup_data):
    wrong = {**signup_data, "invitation_code": "ABCD-EFGH-JKLM"}
    for _ in range(3):
        client.post(reverse("accounts:signup"), wrong, HTTP_ACCEPT_LANGUAGE="nl")
    response = client.post(reverse("accounts:signup"), wrong, HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Te veel pogingen" in html
    assert "Probeer het over" in html and "minuten opnieuw" in html
