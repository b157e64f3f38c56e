"""A URL that fails, for the tests of what reaches the admins and Sentry."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("view boom")


urlpatterns = [path("boom", boom)]
