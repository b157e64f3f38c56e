"""The API foundation: /api/me/, tokens, errors and the schema."""

from __future__ import annotations

from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services

ME = reverse("api-me")


def test_me_returns_profile_and_household(client, resident):
    client.force_login(resident)

    response = client.get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "alice@example.org"
    assert body["full_name"] == "Alice Visser"
    assert body["household"]["address"] == "Wisselspoor 1"
    assert body["may_book"] is True
    assert "password" not in body


def test_me_needs_authentication(client, db):
    assert client.get(ME).status_code == 401


def test_token_created_by_the_service_authenticates(resident):
    key = services.api_token_create(user=resident)
    api = APIClient()

    response = api.get(ME, HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200
    assert response.json()["pseudonym"] == resident.pseudonym


def test_a_replaced_token_stops_working(resident):
    old = services.api_token_create(user=resident)
    services.api_token_create(user=resident)

    response = APIClient().get(ME, HTTP_AUTHORIZATION=f"Token {old}")

    # 401 with a token challenge: token authentication comes first (DRF's rule).
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_patch_updates_the_profile(resident):
    api = APIClient()
    api.force_authenticate(resident)

    response = api.patch(ME, {"phone": "+31 6 0000 0000"}, format="json")

    assert response.status_code == 200
    assert response.json()["phone"] == "+31 6 0000 0000"


def test_malformed_json_gets_a_clear_400(resident):
    key = services.api_token_create(user=resident)

    response = APIClient().generic(
        "PATCH",
        ME,
        '{"phone": "+31",',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    resident.refresh_from_db()
    assert resident.phone == ""


def test_schema_includes_me(client, db):
    response = client.get(reverse("api-schema"))

    assert response.status_code == 200
    assert b"/api/me/" in response.content


def test_docs_use_the_projects_own_static_files(client, db):
    response = client.get(reverse("api-docs"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "drf_spectacular_sidecar/swagger-ui-dist" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
