"""What makes the site installable on a phone: favicon, web app manifest, service worker and
the page it shows offline. All served by the project (icons from ``static/icons/``).

The service worker lives at the site root (``/sw.js``) so that its scope is the whole site. It
keeps only public things (the offline page, the style sheet, the icons), never a resident's
pages: those always come from the network, and the offline page stands in when there is none.
"""

from __future__ import annotations

import hashlib
import json

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME = "#0a6b47"
BACKGROUND = "#fbfcf8"
# What the service worker keeps for offline use: public, and the same for every resident.
PRECACHED = [
    "css/site.css",
    "js/menu.js",
    "icons/icon.svg",
    "icons/favicon-32.png",
    "icons/icon-192.png",
]


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for on their own: the PNG favicon."""
    return HttpResponseRedirect(static("icons/favicon-32.png"))


@require_GET
@cache_control(max_age=3600, public=True)
def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "name": "Wisselstroom",
        "short_name": "Wisselstroom",
        "description": _("Book a shared electric car at your neighbourhood hub."),
        "lang": get_language() or "en",
        "start_url": reverse("sharing:home"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME,
        "background_color": BACKGROUND,
        "icons": [
            {"src": static("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Vary"] = "Accept-Language, Cookie"
    return response


def _worker_urls() -> tuple[str, list[str]]:
    offline = reverse("offline")
    return offline, [offline, *(static(path) for path in PRECACHED)]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    offline, urls = _worker_urls()
    # The cache name changes whenever a kept file's URL does (hashed names in production).
    version = hashlib.sha256("\n".join(urls).encode()).hexdigest()[:12]
    response = render(
        request,
        "pwa/sw.js",
        {
            "cache_name": json.dumps(f"wisselstroom-{version}"),
            "offline_url": json.dumps(offline),
            "precached": json.dumps(urls),
            "static_prefix": json.dumps(static("")),
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
@cache_control(no_cache=True)
def offline(request: HttpRequest) -> HttpResponse:
    """Kept by the service worker in the page's language (so never from the HTTP cache)."""
    return render(request, "offline.html")
