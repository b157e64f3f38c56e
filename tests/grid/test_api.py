"""The aggregator API: its own token, its own hubs only, orders under the UFTP rules."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from energy.grid.services import aggregator_token_issue
from energy.models import Aggregator, GridOrder
from tests.energy.conftest import make_hub
from tests.grid.helpers import planned_tomorrow, tomorrow

pytestmark = pytest.mark.django_db


@pytest.fixture
def hub():
    return planned_tomorrow(None)


@pytest.fixture
def flexco(hub):
    """FlexCo: an aggregator buying the Wisselspoor hub's flexibility."""
    aggregator = Aggregator.objects.create(name="FlexCo")
    aggregator.hubs.add(hub)
    return aggregator


def client_of(aggregator) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {aggregator_token_issue(aggregator=aggregator)}")
    return client


@pytest.fixture
def api(flexco):
    return client_of(flexco)


def ask(api, hub, isps=range(40, 44)):
    return api.post(
        reverse("api-grid-hub-offers", args=[hub.slug]),
        {
            "day": str(tomorrow(hub)),
            "isps": [{"isp": i, "min_power_w": -4000, "max_power_w": -1000} for i in isps],
        },
        format="json",
    )


def order_body(offer, message_id=None, factor=1):
    return {
        "message_id": message_id or str(uuid.uuid4()),
        "offer": offer["id"],
        "isps": [{"isp": i["isp"], "power_w": i["power_w"] * factor} for i in offer["isps"]],
        "price_eur": offer["price_eur"],
    }


def test_an_aggregator_reads_its_hubs_and_their_baseline_only(api, hub):
    other = make_hub("elsewhere")
    listed = api.get(reverse("api-grid-hubs")).json()
    assert [h["slug"] for h in listed] == [hub.slug]
    assert listed[0]["congestion_point"] == "ean.871687120000000001"

    baseline = api.get(reverse("api-grid-baseline", args=[hub.slug]), {"day": str(tomorrow(hub))})
    assert baseline.status_code == 200
    isps = baseline.json()["isps"]
    assert len(isps) in (92, 96, 100)
    assert isps[40] | {"start": None} == {
        "isp": 41,
        "start": None,
        "power_w": -2000,
        "free_up_w": 5000,
        "free_down_w": 2000,
    }

    assert api.get(reverse("api-grid-baseline", args=[other.slug])).status_code == 404
    assert (
        api.get(reverse("api-grid-baseline", args=[hub.slug]), {"day": "2026-13-40"}).status_code
        == 400
    )


def test_tokens_do_not_cross_between_aggregators_and_residents(api, hub, resident):
    anonymous = APIClient()
    assert anonymous.get(reverse("api-grid-hubs")).status_code == 401
    resident_api = APIClient()
    resident_api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=resident).key}")
    assert resident_api.get(reverse("api-grid-hubs")).status_code == 401
    # the aggregator's token opens nothing of the residents' API
    for name in ("api-me", "api-booking-list", "api-hub-list", "api-vehicle-list"):
        assert api.get(reverse(name)).status_code == 401, name
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.get(reverse("api-grid-hubs")).status_code == 401


def test_offer_order_retry_and_delivery(api, hub, flexco, django_capture_on_commit_callbacks):
    made = ask(api, hub)
    assert made.status_code == 201, made.content
    (offer,) = made.json()
    assert [i["power_w"] for i in offer["isps"]] == [-4000] * 4
    assert [o["id"] for o in api.get(reverse("api-grid-offers")).json()] == [offer["id"]]
    # what is offered is no longer free
    isps = api.get(
        reverse("api-grid-baseline", args=[hub.slug]), {"day": str(tomorrow(hub))}
    ).json()["isps"]
    assert isps[39]["free_up_w"] == 1000

    body = order_body(offer)
    with django_capture_on_commit_callbacks() as queued:
        placed = api.post(reverse("api-grid-orders"), body, format="json")
    assert placed.status_code == 201, placed.content
    assert queued  # the re-plan with the order's band
    again = api.post(reverse("api-grid-orders"), body, format="json")
    assert again.status_code == 200 and again.json() == placed.json()
    changed = api.post(reverse("api-grid-orders"), {**body, "price_eur": "99.0000"}, format="json")
    assert changed.status_code == 409 and changed.json() == {"detail": "Duplicate Identifier"}
    assert GridOrder.objects.count() == 1

    delivery = api.get(reverse("api-grid-order", args=[body["message_id"]])).json()
    assert [i["ordered_w"] for i in delivery["isps"]] == [-4000] * 4
    assert all(i["baseline_w"] == -2000 and i["planned_w"] == -2000 for i in delivery["isps"])
    assert api.get(reverse("api-grid-offers")).json() == []


def test_bad_orders_are_clear_4xx_and_change_nothing(api, hub, flexco):
    (offer,) = ask(api, hub).json()
    orders = reverse("api-grid-orders")
    above = api.post(orders, order_body(offer, factor=2), format="json")
    assert above.status_code == 400 and above.json() == {"detail": "ISPs Out Of Bounds"}
    unknown = api.post(orders, {**order_body(offer), "offer": str(uuid.uuid4())}, format="json")
    assert unknown.status_code == 400 and unknown.json() == {"detail": "Unknown Reference"}
    for junk in (
        {},
        {"message_id": "x"},
        {**order_body(offer), "isps": []},
        {**order_body(offer), "isps": [{"isp": 1, "power_w": 10**12}]},
    ):
        assert api.post(orders, junk, format="json").status_code == 400
    assert api.post(orders, "{not json", content_type="application/json").status_code == 400
    bad_request = ask(api, hub, isps=[0])
    assert bad_request.status_code == 400
    assert api.get(reverse("api-grid-order", args=[uuid.uuid4()])).status_code == 404
    assert not GridOrder.objects.exists()

    # another aggregator cannot see or take FlexCo's offer
    rival = Aggregator.objects.create(name="Rival")
    rival.hubs.add(hub)
    rival_api = client_of(rival)
    assert rival_api.get(reverse("api-grid-offers")).json() == []
    taken = rival_api.post(orders, order_body(offer), format="json")
    assert taken.status_code == 400 and taken.json() == {"detail": "Unknown Reference"}


def test_nothing_an_aggregator_reads_names_a_resident(api, hub, resident):
    from tests.factories import BookingFactory

    BookingFactory(resident=resident, hub=hub)
    (offer,) = ask(api, hub).json()
    api.post(reverse("api-grid-orders"), order_body(offer), format="json")
    bodies = [
        api.get(reverse("api-grid-hubs")).content,
        api.get(reverse("api-grid-baseline", args=[hub.slug])).content,
        api.get(reverse("api-grid-offers")).content,
    ]
    text = b" ".join(bodies).decode()
    for private in (resident.email, resident.full_name, resident.pseudonym, "booking", "plate"):
        assert private not in text
    json.loads(bodies[0])


def test_the_grid_api_is_in_the_openapi_schema(client):
    schema = client.get(reverse("api-schema")).content.decode()
    for path in ("/api/grid/hubs/", "/api/grid/orders/", "/api/grid/orders/{message_id}/"):
        assert path in schema
    assert "aggregatorToken" in schema
