"""Changing and resetting a password, without revealing who has an account."""

from __future__ import annotations

import re
from unittest import mock

from django.urls import reverse

from accounts.tasks import send_password_reset
from tests.factories import PASSWORD

NEW_PASSWORD = "tulip-canal-windmill-77"
RESET = reverse("accounts:password_reset")


def without_csrf(html: bytes) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]+"', "", html.decode())


def test_reset_page_answers_the_same_whether_or_not_the_account_exists(
    client, resident, mailoutbox
):
    known = client.post(RESET, {"email": "alice@example.org"}, follow=True)
    unknown = client.post(RESET, {"email": "nobody@example.org"}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain
    assert known.status_code == unknown.status_code == 200
    assert [t.name for t in known.templates] == [t.name for t in unknown.templates]
    assert without_csrf(known.content) == without_csrf(unknown.content)
    assert b"Check your mailbox" in known.content
    assert [m.to for m in mailoutbox] == [["alice@example.org"]]


def test_reset_request_does_the_same_work_for_known_and_unknown_addresses(
    client, resident, mailoutbox
):
    """Timing must not tell who has an account: the request only queues one task, either way."""
    with mock.patch("accounts.services.email.run_detached") as queued:
        known = client.post(RESET, {"email": "alice@example.org"})
        unknown = client.post(RESET, {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 302
    task = send_password_reset
    assert queued.call_args_list == [
        mock.call(task, "alice@example.org", "en"),
        mock.call(task, "nobody@example.org", "en"),
    ]
    assert mailoutbox == []  # no lookup, token or mail inside the request


def test_reset_task_mails_only_an_existing_account(resident, mailoutbox, settings):
    settings.SITE_URL = "https://hub.example.org"

    send_password_reset("nobody@example.org")
    assert mailoutbox == []

    send_password_reset("Alice@Example.org", "nl")
    assert [m.to for m in mailoutbox] == [["alice@example.org"]]
    assert "https://hub.example.org/accounts/password/reset/" in mailoutbox[0].body


def test_reset_link_sets_a_new_password(client, resident, mailoutbox):
    client.post(RESET, {"email": "alice@example.org"})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mailoutbox[0].body)
    assert link

    form = client.get(link.group(1), follow=True)
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert b"Your new password is set" in response.content
    resident.refresh_from_db()
    assert resident.check_password(NEW_PASSWORD)


def test_resident_changes_password(client, resident):
    client.force_login(resident)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert b"Your password is changed" in response.content
    resident.refresh_from_db()
    assert resident.check_password(NEW_PASSWORD)


def test_password_pages_render_with_project_templates(client, resident):
    assert b"Forgot your password?" in client.get(RESET).content
    client.force_login(resident)
    page = client.get(reverse("accounts:password_change"))
    assert "registration/password_change_form.html" in [t.name for t in page.templates]
