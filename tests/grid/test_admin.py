"""Fleet admins see the grid side and issue aggregator tokens (shown once, stored hashed)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from energy.grid.keys import keypair_generate
from energy.grid.services import OrderedIsp, RequestedIsp, flex_offers_make, flex_order_accept
from energy.models import Aggregator, GridOperator
from tests.grid.helpers import planned_tomorrow, tomorrow

pytestmark = pytest.mark.django_db


def test_grid_pages_render_with_offers_and_orders(client, fleet_admin, monkeypatch):
    monkeypatch.setattr("energy.grid.services.orders.replan_request", lambda **kw: None)
    operator = GridOperator.objects.create(
        name="Stedin",
        participant_domain="dso.example.nl",
        endpoint_url="https://dso.example.nl/shapeshifter/api/v3/message",
        public_key=keypair_generate()[1],
    )
    hub = planned_tomorrow(operator)
    (offer,) = flex_offers_make(
        hub=hub, buyer=operator, period=tomorrow(hub), isps=[RequestedIsp(40, -3000, -1000)]
    )
    order = flex_order_accept(
        buyer=operator,
        message_id=str(uuid.uuid4()),
        offer_message_id=str(offer.message_id),
        isps=[OrderedIsp(40, -3000)],
        price_eur=offer.price_eur,
        source="uftp",
    ).order
    client.force_login(fleet_admin)
    for name, args in [
        ("admin:energy_gridoperator_changelist", []),
        ("admin:energy_gridoperator_change", [operator.pk]),
        ("admin:energy_gridoffer_changelist", []),
        ("admin:energy_gridoffer_change", [offer.pk]),
        ("admin:energy_gridorder_changelist", []),
        ("admin:energy_gridorder_change", [order.pk]),
        ("admin:energy_dprognosis_changelist", []),
        ("admin:energy_aggregator_changelist", []),
        ("admin:energy_site_changelist", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 200, name


def test_issuing_a_token_shows_it_once_and_stores_only_its_digest(client, fleet_admin):
    aggregator = Aggregator.objects.create(name="FlexCo")
    client.force_login(fleet_admin)
    response = client.post(
        reverse("admin:energy_aggregator_changelist"),
        {"action": "issue_token", "_selected_action": [aggregator.pk]},
        follow=True,
    )
    aggregator.refresh_from_db()
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and aggregator.token_prefix in shown[0]
    token = shown[0].rsplit(" ", 1)[1]
    assert token not in aggregator.token_digest and len(aggregator.token_digest) == 64
