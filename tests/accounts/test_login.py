"""Logging in and out, and the lock-out after five wrong passwords."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")


def log_in(client, email: str, password: str):
    return client.post(LOGIN, {"username": email, "password": password})


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_resident_logs_in_with_email_and_password(client, resident):
    response = log_in(client, "Alice@Example.org", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("sharing:home")
    assert is_logged_in(client)


def test_wrong_password_shows_the_form_again(client, resident):
    response = log_in(client, "alice@example.org", "not-my-password")

    assert response.status_code == 200
    assert b"Please enter a correct" in response.content
    assert not is_logged_in(client)


def test_log_out_needs_a_post(client, resident):
    client.force_login(resident)

    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert not is_logged_in(client)


def test_six_attempts_after_five_failures_is_refused_even_with_the_right_password(client, resident):
    for _ in range(5):
        log_in(client, "alice@example.org", "not-my-password")

    response = log_in(client, "alice@example.org", PASSWORD)

    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert b"paused for 15 minutes" in response.content
    assert not is_logged_in(client)


def test_changing_the_capitals_does_not_get_around_the_lock_out(client, resident):
    for _ in range(5):
        log_in(client, "alice@example.org", "not-my-password")

    response = log_in(client, "ALICE@example.org", PASSWORD)

    assert response.status_code == 429
    assert not is_logged_in(client)


def test_lock_out_of_one_account_leaves_another_account_alone(client, resident, neighbour):
    for _ in range(5):
        log_in(client, "alice@example.org", "not-my-password")

    response = log_in(client, "bob@example.org", PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(client)


def test_four_failures_do_not_lock(client, resident):
    for _ in range(4):
        log_in(client, "alice@example.org", "not-my-password")

    assert log_in(client, "alice@example.org", PASSWORD).status_code == 302
