"""The monthly CSV reports of the admin: one page that asks for a month and answers with the
CSV of it, shared by every model admin that has one (bookings here; energy and flexibility
settlement in ``energy``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.utils.functional import Promise

from sharing.admin.views import MonthForm, stream_csv


def month_csv_view(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    *,
    title: str | Promise,
    prefix: str,
    rows: Callable[[date], Iterator[list[str]]],
) -> HttpResponseBase:
    """The month form, or with a valid month the CSV ``<prefix>-YYYY-MM.csv`` of ``rows(first)``
    (``first`` the month's first day); 403 for staff who may not view the model."""
    if not model_admin.has_view_permission(request):
        return HttpResponse(status=403)
    form = MonthForm(request.GET or None)
    if form.is_valid():
        first = form.cleaned_data["month"]
        return stream_csv(rows(first), f"{prefix}-{first:%Y-%m}.csv")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "form": form,
    }
    return TemplateResponse(request, "admin/month_report.html", context)
