"""Reads of the sharing app, split by the page that reads them, with their joins applied there.

``lists`` holds the plain lists (hubs, cars, bookings, the calendar feed); ``book`` what the
Book page and the availability API read; ``cards`` the booking cards of the home and booking
pages; ``history`` the History page.
"""
