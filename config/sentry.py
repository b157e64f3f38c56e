"""Optional error tracking: with ``SENTRY_DSN`` set, unhandled errors in requests and Celery
tasks (and ERROR log lines) go to Sentry; without it, nothing is loaded or sent."""

from __future__ import annotations


def init_sentry(dsn: str, *, environment: str, release: str, traces_sample_rate: float) -> bool:
    """Start the Sentry SDK for Django and Celery; ``False`` (and nothing started) without a DSN."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration(monitor_beat_tasks=False)],
        traces_sample_rate=traces_sample_rate,
        # Residents' names, addresses and mail addresses stay here.
        send_default_pii=False,
    )
    return True
