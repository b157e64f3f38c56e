"""Signals the energy app sends; its receivers queue re-plans."""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: area (str), first (datetime): new prices from this instant on.
prices_changed = Signal()

# kwargs: hub_id (int), run_id (int): a new plan of the hub was switched in (energy.tasks).
plan_made = Signal()
