"""A mail backend that fails a set number of times, then delivers to ``mail.outbox``."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend


class FlakyBackend(EmailBackend):
    """``failures`` sends raise ``error`` (a dropped connection by default); then it delivers."""

    failures = 0
    error: Exception = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    attempts = 0

    @classmethod
    def fail(cls, times: int, error: Exception | None = None) -> None:
        cls.failures, cls.attempts = times, 0
        if error is not None:
            cls.error = error

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        type(self).attempts += 1
        if type(self).failures > 0:
            type(self).failures -= 1
            raise type(self).error
        return super().send_messages(messages)
