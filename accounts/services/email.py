"""The e-mail address and the password by mail: sending (again) the confirmation link, confirming
the address, and the password-reset request, whose answer and timing are the same for every
address (``run_detached`` runs the mail task off the request when there is no broker).
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import tasks
from accounts.models import User
from accounts.rules import normalise_email
from accounts.tokens import ConfirmationLinkExpired, email_confirmation_read
from config import throttle


def email_confirmation_request(*, user: User) -> None:
    """Send (again) the link that confirms the user's e-mail address."""
    language = translation.get_language() or "en"
    user_id = user.pk
    transaction.on_commit(lambda: tasks.send_email_confirmation.delay(user_id, language))


def password_reset_request(*, email: str) -> None:
    """Queue the reset mail for ``email`` whether or not an account has that address.

    The request itself neither looks the address up nor makes a token or a mail, so its answer
    and its timing are the same for every address. Nothing is written, so there is no commit to
    wait for. Without a broker the task runs on a thread of its own (``run_detached``), so that
    stays true on a laptop. At most ``password_reset_email`` mails per typed address: beyond,
    nothing is queued and the answer is still the same.
    """
    email = email.strip()
    if throttle.hit("password_reset_email", normalise_email(email)) is not None:
        return
    run_detached(tasks.send_password_reset, email, translation.get_language() or "en")


def run_detached(task: Any, *args: Any) -> None:
    """Queue ``task``; without a broker (tasks eager, in the caller) run it on a thread instead,
    so the caller does the same work and takes the same time whatever the task then does."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        task.delay(*args)
        return

    def run() -> None:
        try:
            task.apply(args=args)
        finally:
            connections.close_all()  # this thread's own connections

    threading.Thread(target=run, name=f"detached-{task.name}", daemon=True).start()


def user_confirm_email(*, token: str) -> User:
    """Mark the address in ``token`` as confirmed. Confirming twice is harmless."""
    invalid = ValidationError(
        _(
            "This confirmation link is not valid. Copy the whole link from the e-mail, "
            "or ask for a new one."
        ),
        code="invalid",
    )
    try:
        user_id, email = email_confirmation_read(token)
    except ConfirmationLinkExpired:
        raise ValidationError(
            _("This confirmation link has expired. Log in to ask for a new one."), code="expired"
        ) from None
    except Exception:
        raise invalid from None
    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .filter(pk=user_id, erased_at__isnull=True, is_active=True)
            .first()
        )
        if user is None or user.email != email:
            raise invalid
        if user.email_confirmed_at is None:
            user.email_confirmed_at = timezone.now()
            user.save(update_fields=["email_confirmed_at"])
    return user
