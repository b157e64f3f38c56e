"""The figures ``energy`` adds to the resident's sharing pages (``sharing.page_figures``).

``sharing`` cannot know the residents' own cars and their charging sessions, so the History
page shows what the resident's own cars fed back through the provider here, registered from
``EnergyConfig.ready()``, with its template ``energy/_history_own_car.html``.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum

from accounts.models import User
from energy.models import PrivateCar, SessionStatus
from sharing.page_figures import Figure


def own_car_fed_back(user: User) -> Figure | None:
    """kWh the resident's own cars fed back over ended sessions; nothing without an own car."""
    row = PrivateCar.objects.filter(owner=user).aggregate(
        cars=Count("pk", distinct=True),
        kwh=Sum("sessions__energy_fed_back_kwh", filter=Q(sessions__status=SessionStatus.ENDED)),
    )
    if not row["cars"]:
        return None
    return Figure(template="energy/_history_own_car.html", values={"kwh": row["kwh"] or Decimal(0)})
