"""The household's History page (bookings coming, cancelled and past, with the trips' totals
and the figures other apps add) and its monthly statement."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sharing import page_figures
from sharing.forms import MonthForm
from sharing.selectors import history as history_selectors
from sharing.statements import household_statement
from sharing.views.common import request_user


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    return render(
        request,
        "sharing/history.html",
        {
            "history": history_selectors.history(user=user),
            "figures": page_figures.figures(page="history", user=user),
        },
    )


@login_required
@require_GET
def statement(request: HttpRequest) -> HttpResponse:
    """The household's statement for ``?month=YYYY-MM`` (this month by default)."""
    form = MonthForm(request.GET)
    if not form.is_valid():
        return render(request, "sharing/statement.html", {"form": form}, status=400)
    month = form.cleaned_data["month"]
    context = {
        "form": form,
        "statement": household_statement(user=request_user(request), month=month),
    }
    return render(request, "sharing/statement.html", context)
