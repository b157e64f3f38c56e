"""More of the resident's pages: the monthly statement and the calendar feed's secret.

Thin adapters like ``sharing.views``: a form parses the query, a selector reads, a service
writes; every read is scoped to the resident's own household.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from sharing.services.calendar import calendar_token_renew
from sharing.statements import household_statement


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


class MonthForm(forms.Form):
    month = forms.CharField(
        label=gettext_lazy("Month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month"}),
    )

    def clean_month(self) -> date:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            today = timezone.localdate()
            return date(today.year, today.month, 1)
        try:
            year, month = (int(part) for part in value.split("-"))
            if not 2000 <= year <= 2999:
                raise ValueError
            return date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(_("Enter a month like 2026-11."), code="invalid") from None


@login_required
@require_GET
def statement(request: HttpRequest) -> HttpResponse:
    """The household's statement for ``?month=YYYY-MM`` (this month by default)."""
    form = MonthForm(request.GET)
    if not form.is_valid():
        return render(request, "sharing/statement.html", {"form": form}, status=400)
    month = form.cleaned_data["month"]
    context = {"form": form, "statement": household_statement(user=_user(request), month=month)}
    return render(request, "sharing/statement.html", context)


@login_required
@require_POST
def calendar_renew(request: HttpRequest) -> HttpResponse:
    calendar_token_renew(user=_user(request))
    messages.success(
        request,
        _(
            "Your calendar address is renewed. Subscribe to the new one; the old one no longer "
            "works."
        ),
    )
    return redirect("sharing:home")
