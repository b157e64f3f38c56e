"""Log lines that say when, how bad and where: ``time level logger: message`` for people, one
JSON object a line for a log collector (``LOG_FORMAT=json``).

The same configuration runs in web, worker, beat and the OCPP server: ``config.celery`` applies
it in Celery processes instead of Celery's own.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
    ``exception`` when there is one, and the record's ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_") and key not in line:
                line[key] = value
        return json.dumps(line, default=str, ensure_ascii=False)


def logging_config(*, level: str, ocpp_level: str, log_format: str) -> dict[str, Any]:
    """The ``LOGGING`` setting. Django adds its own handlers before this (the admins' mail for
    ``django.request`` errors among them); tasks that fail for good are mailed to the admins too."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "text": {"format": TEXT_FORMAT},
            "json": {"()": "config.logs.JsonFormatter"},
        },
        "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format},
            "mail_admins": {
                "class": "django.utils.log.AdminEmailHandler",
                "level": "ERROR",
                "filters": ["require_debug_false"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "axes": {"level": "WARNING"},
            # the ocpp library logs every message it sends and receives at INFO
            "ocpp": {"level": ocpp_level},
            # Celery logs a task that failed for good (retries exhausted, or not retried) here.
            # No level of its own: LOG_LEVEL still decides which of its lines are printed.
            "celery.app.trace": {"handlers": ["mail_admins"]},
        },
    }
