"""The home page: the household's upcoming bookings as cards, or the welcome when logged out."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sharing.selectors import cards
from sharing.views.common import request_user


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "sharing/home.html")
    return render(
        request,
        "sharing/home.html",
        {"cards": cards.upcoming_bookings(user=request_user(request))},
    )
