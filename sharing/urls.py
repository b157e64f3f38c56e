from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from sharing import views

app_name = "sharing"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
]
