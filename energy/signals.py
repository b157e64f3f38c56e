"""Signals the energy app sends; its receivers queue re-plans."""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: area (str), first (datetime): new prices from this instant on.
prices_changed = Signal()
