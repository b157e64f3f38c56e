"""Carol confirms her e-mail address with the link from her mailbox."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from django.urls import reverse

from accounts.models import User
from accounts.tokens import email_confirmation_token


def link_in_mail(mailoutbox) -> str:
    match = re.search(r"https?://\S+(/accounts/confirm/\S+/)", mailoutbox[-1].body)
    assert match, mailoutbox[-1].body
    return match.group(1)


def test_link_from_the_mail_confirms_the_address(
    client, signup_data, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:signup"), signup_data)
    link = link_in_mail(mailoutbox)

    page = client.get(link)
    assert page.status_code == 200
    assert b"Yes, confirm my e-mail address" in page.content
    assert (
        User.objects.get(email="carol@example.org").email_confirmed_at is None
    )  # GET changes nothing

    response = client.post(link, follow=True)

    assert b"your e-mail address is confirmed" in response.content
    carol = User.objects.get(email="carol@example.org")
    assert carol.email_confirmed_at is not None
    assert not carol.may_book  # the licence still has to be approved


def test_tampered_link_is_refused(client, resident):
    resident.email_confirmed_at = None
    resident.save()
    token = email_confirmation_token(resident)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    link = reverse("accounts:confirm-email", kwargs={"token": tampered})

    page = client.get(link)
    response = client.post(link)

    assert page.status_code == 400 and b"not valid" in page.content
    assert response.status_code == 400 and b"not valid" in response.content
    resident.refresh_from_db()
    assert resident.email_confirmed_at is None


def test_expired_link_is_refused_and_offers_a_new_one(client, resident):
    resident.email_confirmed_at = None
    resident.save()
    link = reverse("accounts:confirm-email", kwargs={"token": email_confirmation_token(resident)})

    with time_machine.travel(timedelta(days=4)):
        client.force_login(resident)
        response = client.post(link)

    assert response.status_code == 400
    assert b"has expired" in response.content
    assert b"Send me a new link" in response.content
    resident.refresh_from_db()
    assert resident.email_confirmed_at is None


def test_link_for_an_old_address_no_longer_works(client, resident):
    resident.email_confirmed_at = None
    resident.save()
    link = reverse("accounts:confirm-email", kwargs={"token": email_confirmation_token(resident)})
    resident.email = "alice.new@example.org"
    resident.save()

    response = client.post(link)

    assert response.status_code == 400
    resident.refresh_from_db()
    assert resident.email_confirmed_at is None


def test_resident_can_ask_for_a_new_link(
    client, resident, django_capture_on_commit_callbacks, mailoutbox
):
    resident.email_confirmed_at = None
    resident.save()
    client.force_login(resident)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:confirm-email-resend"), follow=True)

    assert b"We sent a new confirmation link to alice@example.org" in response.content
    assert mailoutbox[-1].to == ["alice@example.org"]
    client.post(link_in_mail(mailoutbox))
    resident.refresh_from_db()
    assert resident.email_confirmed_at is not None
