"""The same order delivered twice at the same moment (a retry racing the first copy)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.db import connection

from energy.grid.services import (
    OrderedIsp,
    Rejected,
    RequestedIsp,
    flex_offers_make,
    flex_order_accept,
)
from energy.models import GridOrder
from tests.grid.helpers import planned_tomorrow, stedin, tomorrow


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_copies_at_once_are_one_order_and_two_equal_answers(monkeypatch):
    monkeypatch.setattr("energy.grid.services.orders.replan_request", lambda **kw: None)
    operator = stedin()
    hub = planned_tomorrow(operator)
    (offer,) = flex_offers_make(
        hub=hub, buyer=operator, period=tomorrow(hub), isps=[RequestedIsp(40, -4000, -1000)]
    )
    message_id = str(uuid.uuid4())
    start = threading.Barrier(4)
    answers: list[tuple[Any, ...]] = []

    def deliver(same: bool) -> None:
        start.wait()
        try:
            outcome = flex_order_accept(
                buyer=operator,
                message_id=message_id if same else str(uuid.uuid4()),
                offer_message_id=str(offer.message_id),
                isps=[OrderedIsp(40, -4000)],
                price_eur=offer.price_eur,
                source="uftp",
            )
            answers.append(("accepted", outcome.order.message_id, outcome.created))
        except Rejected as rejected:
            answers.append(("rejected", rejected.reason))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(i < 3,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert GridOrder.objects.count() == 1
    order = GridOrder.objects.get()
    accepted = [a for a in answers if a[0] == "accepted"]
    rejected = [a for a in answers if a[0] == "rejected"]
    if str(order.message_id) == message_id:
        # the three copies are all accepted, one of them created it; the other order is refused
        assert len(accepted) == 3 and sum(1 for a in accepted if a[2]) == 1
        assert rejected == [("rejected", "Offer already ordered")]
    else:
        # the other order won the offer: each copy is refused
        assert len(accepted) == 1 and len(rejected) == 3
