"""A grid operator's settlement the hub answers Disputed is followed up: the fleet admins are
mailed, see it (a filter and a flag, the operator's figures beside the hub's), and mark it
resolved (who and when, once)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.urls import reverse

from energy.grid.models import DsoOrderSettlement, GridOrder, SettlementVerdict
from energy.grid.selectors import congestion_point
from energy.grid.services import (
    OrderClaim,
    OrderedIsp,
    RequestedIsp,
    SettledIsp,
    dso_dispute_resolve,
    flex_offers_make,
    flex_order_accept,
    flex_settlement_check,
)
from tests.grid.helpers import planned_tomorrow, stedin, tomorrow

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(monkeypatch) -> GridOrder:
    monkeypatch.setattr("energy.grid.services.orders.replan_request", lambda **kw: None)
    operator = stedin()
    hub = planned_tomorrow(operator)
    (offer,) = flex_offers_make(
        hub=hub, buyer=operator, period=tomorrow(hub), isps=[RequestedIsp(40, -4000, -1000)]
    )
    return flex_order_accept(
        buyer=operator,
        message_id=str(uuid.uuid4()),
        offer_message_id=str(offer.message_id),
        isps=[OrderedIsp(40, -4000)],
        price_eur=offer.price_eur,
        source="uftp",
        order_reference="DSO-9",
    ).order


def settle(order: GridOrder, *, price: Decimal) -> DsoOrderSettlement:
    """The operator's FlexSettlement of ``order`` at ``price`` (the hub disputes another)."""
    period = order.offer.period
    assert order.offer.operator is not None
    answer = flex_settlement_check(
        operator=order.offer.operator,
        message_id=str(uuid.uuid4()),
        conversation_id=None,
        period_start=period.replace(day=1),
        period_end=period,
        currency="EUR",
        claims=[
            OrderClaim(
                order_reference="DSO-9",
                period=period,
                congestion_point=congestion_point(order.offer.hub.site),
                price_eur=price,
                penalty_eur=Decimal(0),
                net_eur=price,
                isps=[SettledIsp(40, -2000, -4000, -6000, -4000, 0)],
            )
        ],
    )
    assert answer.created
    return DsoOrderSettlement.objects.filter(order=order).latest("pk")


def test_a_disputed_settlement_mails_the_admins_with_both_figures(
    order, settings, django_capture_on_commit_callbacks
):
    settings.ADMINS = [("Ops", "ops@example.org")]
    with django_capture_on_commit_callbacks(execute=True):
        row = settle(order, price=order.price_eur + 5)
    assert row.verdict == SettlementVerdict.DISPUTED and row.open_dispute
    (message,) = [m for m in mail.outbox if "Settlement disputed" in m.subject]
    assert "Stedin" in message.subject and "DSO-9" in message.body
    assert f"net settlement EUR {row.net_eur}" in message.body
    assert f"the hub's own income EUR {row.hub_income_eur}" in message.body


def test_fleet_admins_find_the_open_dispute_and_resolve_it_once(order, client, fleet_admin):
    row = settle(order, price=order.price_eur + 5)
    client.force_login(fleet_admin)
    changelist = reverse("admin:energy_dsoordersettlement_changelist")
    page = client.get(changelist, {"dispute": "open"}).content.decode()
    assert "DSO-9" in page and str(row.net_eur) in page and str(row.hub_income_eur) in page
    orders = client.get(reverse("admin:energy_gridorder_changelist"), {"settlement": "open"})
    assert "disputed: open" in orders.content.decode()
    detail = client.get(reverse("admin:energy_dsoordersettlement_change", args=[row.pk]))
    assert "measured by the hub (W)" in detail.content.decode()

    response = client.post(
        changelist,
        {"action": "resolve_dispute", "_selected_action": [row.pk], "note": "DSO corrected"},
        follow=True,
    )
    row.refresh_from_db()
    assert row.resolved_by == fleet_admin and row.resolved_at is not None
    assert row.resolution_note == "DSO corrected" and not row.open_dispute
    assert "1 dispute(s) marked resolved." in response.content.decode()
    assert LogEntry.objects.filter(object_id=str(row.pk), user=fleet_admin).exists()
    assert "DSO-9" not in client.get(changelist, {"dispute": "open"}).content.decode()
    orders = client.get(reverse("admin:energy_gridorder_changelist"), {"settlement": "open"})
    assert "DSO-9" not in orders.content.decode()

    first = row.resolved_at
    again = client.post(
        changelist, {"action": "resolve_dispute", "_selected_action": [row.pk]}, follow=True
    )
    row.refresh_from_db()
    assert row.resolved_at == first and row.resolution_note == "DSO corrected"
    assert "not changed" in again.content.decode()


def test_only_a_dispute_can_be_resolved(order, fleet_admin):
    row = settle(order, price=order.price_eur + 5)
    DsoOrderSettlement.objects.filter(pk=row.pk).update(verdict=SettlementVerdict.ACCEPTED)
    row.refresh_from_db()
    assert dso_dispute_resolve(order_settlement=row, user=fleet_admin) is False
    row.refresh_from_db()
    assert row.resolved_at is None and row.resolved_by is None
