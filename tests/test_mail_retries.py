"""Mail that fails for a reason a mail server gets over is sent again, for real; a refusal for
good is not retried. The tasks run in-process with their retries (Celery re-runs an eager task
that asks for a retry unless eager errors propagate, which the fixture turns off) and, in the
last test, on a real worker through Redis with the real backoff."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail

from accounts import tasks as account_tasks
from config.mail import MAIL_MAX_RETRIES, MailRefused
from sharing import emails as sharing_emails
from tests.factories import BookingFactory, UserFactory
from tests.flaky_mail import FlakyBackend

pytestmark = pytest.mark.django_db


@pytest.fixture
def flaky(settings):
    from config.celery import app

    settings.EMAIL_BACKEND = "tests.flaky_mail.FlakyBackend"
    FlakyBackend.error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield FlakyBackend
    app.conf.task_eager_propagates = propagates
    FlakyBackend.fail(0)


@pytest.fixture
def booking(resident, hub):
    return BookingFactory.create(resident=resident, hub=hub)


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        smtplib.SMTPDataError(451, b"4.3.0 Try again later"),
        smtplib.SMTPRecipientsRefused({"alice@example.org": (450, b"greylisted")}),
    ],
    ids=["disconnected", "refused-connection", "timeout", "451", "greylisted"],
)
def test_a_booking_mail_that_fails_twice_is_sent_on_the_third_try(flaky, booking, error):
    flaky.fail(2, error)

    result = sharing_emails.send_booking_mail.delay("confirmed", booking.pk)

    assert result.successful()
    assert flaky.attempts == 3
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.org"]


def test_a_mail_server_that_stays_down_gives_up_after_the_last_retry(flaky, booking):
    flaky.fail(100)

    result = sharing_emails.send_booking_mail.delay("confirmed", booking.pk)

    assert result.failed()
    assert isinstance(result.result, smtplib.SMTPServerDisconnected)
    assert flaky.attempts == MAIL_MAX_RETRIES + 1
    assert mail.outbox == []


def test_an_address_refused_for_good_is_not_tried_again(flaky, booking):
    flaky.fail(1, smtplib.SMTPRecipientsRefused({"alice@example.org": (550, b"no such user")}))

    result = sharing_emails.send_booking_mail.delay("confirmed", booking.pk)

    assert result.failed()
    assert isinstance(result.result, MailRefused)
    assert flaky.attempts == 1


def test_the_email_confirmation_is_retried(flaky):
    user = UserFactory.create(email="new@example.org", email_confirmed_at=None)
    flaky.fail(3)

    assert account_tasks.send_email_confirmation.delay(user.pk).successful()
    assert flaky.attempts == 4
    assert [m.to for m in mail.outbox] == [["new@example.org"]]


def test_the_password_reset_is_retried_instead_of_logged_and_dropped(flaky, resident):
    flaky.fail(1, ConnectionResetError(104, "Connection reset by peer"))

    assert account_tasks.send_password_reset.delay("alice@example.org").successful()
    assert flaky.attempts == 2
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]


def test_the_admins_mail_about_a_failed_dispatch_run_is_retried(flaky, settings):
    from energy import alerts

    settings.ADMINS = [("Ops", "ops@example.org")]
    flaky.fail(2)

    result = alerts.mail_admins_retried.delay("Dispatch failed for hub 1", "Run 7: ...")

    assert result.successful()
    assert flaky.attempts == 3
    assert [m.to for m in mail.outbox] == [["ops@example.org"]]


def test_retries_wait_less_than_the_visibility_timeout(settings):
    """A countdown beyond it would make Redis hand the waiting message out again (two mails)."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    from energy import alerts

    for task in (
        alerts.mail_admins_retried,
        sharing_emails.send_booking_mail,
        account_tasks.send_email_confirmation,
        account_tasks.send_password_reset,
    ):
        assert getattr(task, "autoretry_for", ())
        assert getattr(task, "retry_backoff_max", 0) < visibility


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_mail_after_two_failures(settings, resident, hub):
    """Through Redis: each retry is a new message with its backoff countdown."""
    import os
    import time

    from celery.contrib.testing.worker import start_worker
    from django.test import override_settings

    from config.celery import app

    booking = BookingFactory.create(resident=resident, hub=hub)
    settings.EMAIL_BACKEND = "tests.flaky_mail.FlakyBackend"
    FlakyBackend.error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    FlakyBackend.fail(2)
    broker = os.environ["TEST_REDIS_URL"].rsplit("/", 1)[0] + "/10"  # a database of our own
    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}

    def forget_connections():
        setattr(app, "_pool", None)  # noqa: B010 - rebuilt from broker_url on next use
        setattr(app.amqp, "_producer_pool", None)  # noqa: B010

    app.conf.update(broker_url=broker, result_backend=broker, task_always_eager=False)
    forget_connections()
    try:
        app.control.purge()
        with (
            override_settings(CELERY_TASK_ALWAYS_EAGER=False),
            start_worker(app, queues=["default"], perform_ping_check=False, shutdown_timeout=30),
        ):
            sharing_emails.send_booking_mail.delay("confirmed", booking.pk)
            deadline = time.monotonic() + 60
            while not mail.outbox and time.monotonic() < deadline:
                time.sleep(0.2)
            attempts = FlakyBackend.attempts
    finally:
        app.conf.update(saved)
        forget_connections()
        FlakyBackend.fail(0)

    assert attempts == 3
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]
