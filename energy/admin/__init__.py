"""Fleet admin for the energy side: sites, chargers, residents' cars, prices, runs and offers.

Hub-bound pages are scoped to a hub manager's hubs (``sharing.admin.scope``); the hub page gets
a "re-plan now" button here, since only ``energy`` may ask for a plan. One module per subject
(``hubs``, ``chargers``, ``prices``, ``runs``); ``views`` holds what their pages compute. The
grid side registers its own (``energy.grid.admin``).
"""

from __future__ import annotations

from energy.admin import chargers, hubs, prices, runs
from energy.grid import admin as grid_admin

__all__ = ["chargers", "grid_admin", "hubs", "prices", "runs"]
