"""Mail that accounts sends, as thin tasks that take ids (queued only after commit)."""

from __future__ import annotations

from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives, send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from accounts.tokens import MAX_AGE, email_confirmation_token
from config.mail import MAIL_TASK, permanent_refusals_not_retried


@shared_task(**MAIL_TASK)
def send_email_confirmation(user_id: int, language: str = "en") -> None:
    user = User.objects.filter(pk=user_id, email_confirmed_at__isnull=True, erased_at__isnull=True)
    found = user.first()
    if found is None:  # confirmed or erased in the meantime: nothing to send
        return
    link = settings.SITE_URL.rstrip("/") + reverse(
        "accounts:confirm-email", kwargs={"token": email_confirmation_token(found)}
    )
    context = {"user": found, "link": link, "valid_days": MAX_AGE.days}
    with translation.override(language):
        subject = render_to_string("accounts/email/confirm_email_subject.txt", context).strip()
        body = render_to_string("accounts/email/confirm_email.txt", context)
    with permanent_refusals_not_retried():
        send_mail(subject, body, None, [found.email])


class _PasswordResetForm(PasswordResetForm):
    """Django's form logs a failed send and carries on; this one raises, so the task retries."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, object],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [to_email])
        if html_email_template_name is not None:
            message.attach_alternative(
                render_to_string(html_email_template_name, context), "text/html"
            )
        with permanent_refusals_not_retried():
            message.send()


@shared_task(**MAIL_TASK)
def send_password_reset(email: str, language: str = "en") -> None:
    """Mail a reset link to each active account with ``email``; nothing for an unknown address.

    Takes the typed address, not an id: the request that queues it must not look the address
    up, so that it does the same work (and takes the same time) whether or not an account has
    it. Django's form still decides who gets a link (active accounts with a usable password).
    A retry sends a fresh link (the one that failed was never seen).
    """
    form = _PasswordResetForm({"email": email})
    if not form.is_valid():
        return
    site = urlsplit(settings.SITE_URL)
    with translation.override(language):
        form.save(
            domain_override=site.netloc,
            use_https=site.scheme == "https",
            subject_template_name="registration/password_reset_subject.txt",
            email_template_name="registration/password_reset_email.txt",
        )
