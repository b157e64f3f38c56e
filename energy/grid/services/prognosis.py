"""D-Prognoses: new revisions of a hub's connection for today and tomorrow where the plan
changed, marked sent or failed after the HTTP post, and the operator's response recorded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from energy.grid.models import DPrognosis, GridOperator, PrognosisStatus
from energy.grid.selectors import ISP, baseline_day, congestion_point, latest_prognosis
from energy.grid.services.common import as_uuid
from energy.models import Site
from sharing.models import Hub


@dataclass(frozen=True)
class PrognosisDraft:
    record: DPrognosis
    congestion_point: str
    time_zone: str


def prognoses_prepare(
    *, hub: Hub, now: datetime | None = None
) -> tuple[list[PrognosisDraft], float]:
    """New D-Prognosis revisions of ``hub``'s connection for today and tomorrow where the
    current plan changed them, recorded as ``sending``; and the seconds to wait before
    asking again when the operator's rate limit holds them back (0: nothing held back).

    ISPs before the plan's first slot (already in operation) repeat the last revision's value
    (0 in a first revision): UFTP receivers ignore ISPs that have begun. A day the plan does
    not reach to its end is not sent.
    """
    now = now or timezone.now()
    site = Site.objects.select_related("grid_operator").filter(hub=hub).first()
    if site is None or site.grid_operator is None or not site.grid_operator.active:
        return [], 0.0
    operator = site.grid_operator
    last_sent = (
        DPrognosis.objects.filter(hub=hub, operator=operator)
        .exclude(status=PrognosisStatus.FAILED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    today = timezone.localtime(now, timezone=_zone(hub)).date()
    drafts: list[PrognosisDraft] = []
    for period in (today, today + timedelta(days=1)):
        baseline = baseline_day(hub=hub, period=period)
        if baseline.run is None or baseline.power_w[-1] is None:
            continue
        previous = latest_prognosis(hub=hub, operator=operator, period=period)
        before = previous.isp_power_w if previous else [0] * len(baseline.starts)
        powers = [p if p is not None else int(before[i]) for i, p in enumerate(baseline.power_w)]
        if previous is not None and all(
            powers[i] == int(previous.isp_power_w[i])
            for i, start in enumerate(baseline.starts)
            if start + ISP > now
        ):
            continue
        if last_sent is not None:
            wait = operator.min_prognosis_interval_seconds - (now - last_sent).total_seconds()
            if wait > 0:
                return drafts, wait
        try:
            with transaction.atomic():
                record = DPrognosis.objects.create(
                    hub=hub,
                    operator=operator,
                    period=period,
                    revision=(previous.revision if previous else 0) + 1,
                    message_id=uuid.uuid4(),
                    run=baseline.run,
                    day_start=baseline.starts[0],
                    isp_power_w=powers,
                )
        except IntegrityError:  # a concurrent run took this revision: it sends the day
            continue
        drafts.append(PrognosisDraft(record, congestion_point(site), hub.time_zone))
    return drafts, 0.0


def prognosis_sent(*, record: DPrognosis, delivered: bool, error: str = "") -> None:
    """After the HTTP post: the operator's response may already have arrived, so only a
    record still ``sending`` changes."""
    status = PrognosisStatus.SENT if delivered else PrognosisStatus.FAILED
    DPrognosis.objects.filter(pk=record.pk, status=PrognosisStatus.SENDING).update(
        status=status, rejection_reason=error[:200]
    )


def prognosis_response_record(
    *, operator: GridOperator, message_id: str, accepted: bool, reason: str | None
) -> int:
    key = as_uuid(message_id)
    if key is None:
        return 0
    return DPrognosis.objects.filter(operator=operator, message_id=key).update(
        status=PrognosisStatus.ACCEPTED if accepted else PrognosisStatus.REJECTED,
        rejection_reason=(reason or "")[:200],
    )


def _zone(hub: Hub) -> ZoneInfo:
    return ZoneInfo(hub.time_zone)
