from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    # an aggregator counterparty's API (its own token; see energy.grid.api)
    path("grid/", include("energy.grid.api_urls")),
]
