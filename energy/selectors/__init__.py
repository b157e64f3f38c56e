"""Reads of plans and energy data, for pages, the API and admin, one module per page:
``plans`` (a hub's current plan and its series), ``dashboard`` (the hub dashboard's day) and
``private_cars`` (residents' own cars and their sessions) and ``feed_back`` (what their feeding
back earned). This package exports them all."""

from __future__ import annotations

from energy.selectors.dashboard import (
    COUNTED_STATUSES,
    SERVED_STATUSES,
    DashboardDay,
    HubDashboard,
    hub_dashboard,
    hubs_visible,
    local_day_bounds,
)
from energy.selectors.feed_back import (
    FedBackSlot,
    FeedBackEarning,
    FeedBackEarnings,
    feed_back_earnings,
    feed_back_rate,
    session_fed_back_slots,
    session_feed_back_earning,
)
from energy.selectors.plans import (
    QUARTER_HOURS,
    SLOT,
    HubSeries,
    current_run,
    first_value,
    per_slot,
    run_series,
)
from energy.selectors.private_cars import (
    SESSION_CHARGE_EFFICIENCY,
    FedBackHistory,
    FeedBackEstimate,
    SessionBoost,
    SessionLive,
    SessionPlanPoint,
    bays_free_for_private_cars,
    fed_back_history,
    feed_back_estimate,
    private_cars_of,
    session_boost,
    session_charge_estimate_kwh,
    session_executed_fed_back_kwh,
    session_live,
    session_plan,
)

__all__ = [
    "COUNTED_STATUSES",
    "QUARTER_HOURS",
    "SERVED_STATUSES",
    "SESSION_CHARGE_EFFICIENCY",
    "SLOT",
    "DashboardDay",
    "FedBackHistory",
    "FedBackSlot",
    "FeedBackEarning",
    "FeedBackEarnings",
    "FeedBackEstimate",
    "HubDashboard",
    "HubSeries",
    "SessionBoost",
    "SessionLive",
    "SessionPlanPoint",
    "bays_free_for_private_cars",
    "current_run",
    "fed_back_history",
    "feed_back_earnings",
    "feed_back_estimate",
    "feed_back_rate",
    "first_value",
    "hub_dashboard",
    "hubs_visible",
    "local_day_bounds",
    "per_slot",
    "private_cars_of",
    "run_series",
    "session_boost",
    "session_charge_estimate_kwh",
    "session_executed_fed_back_kwh",
    "session_fed_back_slots",
    "session_feed_back_earning",
    "session_live",
    "session_plan",
]
