"""The hub dashboard: today's and tomorrow's plan of a hub (solar, homes, fleet charging, the
grid), with the day's table as a named partial for htmx; and the list of hubs that have one.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from energy import selectors
from sharing.models import Hub
from sharing.views.common import HtmxHttpRequest


@login_required
@require_GET
def hub_index(request: HttpRequest) -> HttpResponse:
    hubs = list(selectors.hubs_visible())
    if len(hubs) == 1:
        return redirect("energy:hub_dashboard", slug=hubs[0].slug)
    return render(request, "energy/hub_index.html", {"hubs": hubs})


def chart_text() -> dict[str, str]:
    """The labels of the charts, in the page's language (the dashboard's and a session's)."""
    return {
        "pv": _("Solar"),
        "homes": _("Homes"),
        "fleet": _("Fleet charging"),
        "grid": _("Grid import"),
        "limit": _("Connection limit"),
        "up": _("Flex up"),
        "down": _("Flex down"),
        "power": _("Charging power (kW)"),
        "soc": _("Charge (kWh)"),
        "battery": _("Battery size"),
        "measured": _("Fleet charging, measured"),
        "price": _("Day-ahead price (€/kWh)"),
        "carbon": _("Grid CO₂ (g/kWh)"),
    }


@login_required
@require_GET
@vary_on_headers("HX-Request")
def hub_dashboard(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    hub = get_object_or_404(Hub.objects.select_related("site"), slug=slug, site__isnull=False)
    board = selectors.hub_dashboard(hub=hub)
    shown = board.days[1] if request.GET.get("day") == "tomorrow" else board.days[0]
    context: dict[str, Any] = {
        "hub": hub,
        "board": board,
        "today": board.days[0],
        "tomorrow": board.days[1],
        "shown": shown,
        "rows": board.rows(shown),
        "chart_data": {**board.chart_data(), "text": chart_text()},
        "has_measured": any(v is not None for v in board.measured_fleet_kw),
        "has_prices": any(v is not None for v in board.price_eur_per_kwh),
    }
    template_name = "energy/hub_dashboard.html"
    if request.htmx:
        template_name += "#day-table"
    return render(request, template_name, context)
