from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config import health, metrics, pwa, views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", views.api_root, name="api-root"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("api/", include("accounts.api_urls")),
    path("api/", include("sharing.api_urls")),
    path("api/grid/", include("energy.grid.api_urls")),  # aggregator counterparties
    path("energy/", include("energy.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/live", health.liveness, name="healthz-live"),
    path("metrics", metrics.metrics, name="metrics"),
    path("favicon.ico", pwa.favicon, name="favicon"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("offline/", pwa.offline, name="offline"),
    path("", include("sharing.urls")),
]

handler404 = "config.api.not_found"  # JSON under /api/

admin.site.site_header = "Wisselstroom fleet admin"
admin.site.site_title = "Wisselstroom"
admin.site.index_title = "Run the hub"
