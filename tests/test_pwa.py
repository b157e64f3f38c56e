"""Installable on a phone: favicon, manifest, icons, service worker and offline page, all
served by the project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db
STATIC = Path(__file__).resolve().parents[1] / "static"


def test_pages_link_the_favicon_manifest_and_touch_icon(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'rel="icon" href="/static/icons/icon.svg" type="image/svg+xml"' in html
    assert 'href="/static/icons/favicon-32.png" type="image/png"' in html
    assert 'rel="apple-touch-icon"' in html
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert '<meta name="theme-color"' in html


def test_favicon_ico_is_not_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/icons/favicon-32.png"


@pytest.mark.parametrize(
    "name",
    ["icon.svg", "favicon-32.png", "apple-touch-icon.png", "icon-192.png", "icon-512.png"],
)
def test_icons_are_in_static(name):
    assert finders.find(f"icons/{name}")


def test_png_icons_have_their_sizes():
    from PIL import Image

    for name, size in [("icon-192.png", 192), ("icon-512.png", 512), ("favicon-32.png", 32)]:
        with Image.open(STATIC / "icons" / name) as image:
            assert image.size == (size, size)


def test_manifest_makes_the_site_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["name"] == "Wisselstroom" and data["display"] == "standalone"
    assert data["start_url"] == "/" and data["scope"] == "/"
    sizes = {icon["sizes"] for icon in data["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in data["icons"])
    for icon in data["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/"))


def test_manifest_speaks_the_visitors_language(client):
    data = json.loads(
        client.get("/manifest.webmanifest", headers={"accept-language": "nl"}).content
    )
    assert data["lang"] == "nl" and "deelauto" in data["description"]


def test_service_worker_is_served_from_the_root_and_keeps_only_public_files(client):
    response = client.get("/sw.js")
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    assert '"/offline/"' in body and '"/static/css/site.css"' in body
    assert "/book/" not in body and "/history/" not in body  # residents' pages are never kept


def test_offline_page_says_so_and_holds_nothing_personal(client, resident):
    client.force_login(resident)
    response = client.get("/offline/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "You are offline" in html
    assert resident.email not in html and "csrf" not in html.lower()
    assert "Log out" not in html


def test_offline_page_in_dutch(client):
    html = client.get("/offline/", headers={"accept-language": "nl"}).content.decode()
    assert "Je bent offline" in html
