from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from energy.grid import api, meter_api

urlpatterns: list[URLPattern | URLResolver] = [
    path("hubs/", api.HubListView.as_view(), name="api-grid-hubs"),
    path("hubs/<slug:slug>/baseline/", api.BaselineView.as_view(), name="api-grid-baseline"),
    path("hubs/<slug:slug>/offers/", api.HubOffersView.as_view(), name="api-grid-hub-offers"),
    path(
        "hubs/<slug:slug>/site-meter/readings/",
        meter_api.SiteReadingsView.as_view(),
        name="api-grid-site-meter-readings",
    ),
    path("offers/", api.OfferListView.as_view(), name="api-grid-offers"),
    path("orders/", api.OrderCreateView.as_view(), name="api-grid-orders"),
    path("orders/<uuid:message_id>/", api.OrderDetailView.as_view(), name="api-grid-order"),
]
