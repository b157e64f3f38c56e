"""The grid side's counterparties: an aggregator's API token (shown once, its digest kept), the
last message of a grid operator, and the hub behind an operator's congestion point.
"""

from __future__ import annotations

import secrets

from django.utils import timezone

from energy.grid.models import Aggregator, GridOperator, token_digest
from energy.grid.services.common import Rejected
from energy.models import Site
from sharing.models import Hub


def aggregator_token_issue(*, aggregator: Aggregator) -> str:
    """A new API token for ``aggregator`` (the old one stops working). Shown once: only its
    digest is stored."""
    token = secrets.token_urlsafe(32)
    aggregator.token_digest = token_digest(token)
    aggregator.token_prefix = token[:8]
    aggregator.save(update_fields=["token_digest", "token_prefix"])
    return token


def operator_message_record(*, operator: GridOperator, text: str) -> None:
    GridOperator.objects.filter(pk=operator.pk).update(
        last_message_at=timezone.now(), last_message=text[:200]
    )


def hub_of_congestion_point(*, operator: GridOperator, point: str) -> Hub:
    if not point.startswith("ean."):
        raise Rejected("Invalid Congestion Point")
    site = (
        Site.objects.select_related("hub")
        .filter(ean=point.removeprefix("ean."), grid_operator=operator)
        .first()
    )
    if site is None:
        raise Rejected("Invalid Congestion Point")
    return site.hub
