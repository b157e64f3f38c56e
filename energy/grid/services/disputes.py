"""Following up a grid operator's settlement the hub disputed: the fleet admins are told when
the FlexSettlementResponse says *Disputed* (``dso_disputes_alert``, mail after commit), see
the open ones in the admin, and mark each resolved once it is settled with the operator
outside UFTP (``dso_dispute_resolve``: who and when, once).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from energy.alerts import admins_alert
from energy.grid.models import DsoOrderSettlement, DsoSettlement, SettlementVerdict


def dso_disputes_alert(*, record: DsoSettlement, disputed: Sequence[DsoOrderSettlement]) -> None:
    """Mail the admins the orders of ``record`` the hub disputed, both sides' figures beside
    each other (after the transaction commits)."""
    if not disputed:
        return
    lines = [
        f"{record.operator} sent FlexSettlement {record.message_id} for {record.period_start} "
        f"to {record.period_end}; the hub answered Disputed for {len(disputed)} order(s):",
        "",
    ]
    for row in disputed:
        lines.append(
            f"- order {row.order_reference} (hub {row.order.offer.hub}, {row.order.offer.period}):"
            f" the operator's net settlement EUR {row.net_eur}, the hub's own income EUR "
            f"{row.hub_income_eur}. {row.dispute_reason}"
        )
    lines += [
        "",
        "Follow it up with the operator, then mark the dispute resolved in the admin "
        "(Order settlements from grid operators, filter: dispute open).",
    ]
    admins_alert(
        f"Settlement disputed with {record.operator.name}: {len(disputed)} order(s)",
        "\n".join(lines),
        what=f"the admins' mail about disputed FlexSettlement {record.message_id}",
    )


def dso_dispute_resolve(
    *, order_settlement: DsoOrderSettlement, user: User, note: str = "", now: datetime | None = None
) -> bool:
    """Mark an open dispute resolved by ``user``; False (nothing changes) if it is not a
    dispute or someone resolved it already: the first to resolve it is the one recorded."""
    with transaction.atomic():
        changed = DsoOrderSettlement.objects.filter(
            pk=order_settlement.pk, verdict=SettlementVerdict.DISPUTED, resolved_at__isnull=True
        ).update(resolved_at=now or timezone.now(), resolved_by=user, resolution_note=note[:500])
    if changed:
        order_settlement.refresh_from_db()
    return bool(changed)
