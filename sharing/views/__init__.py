"""The resident's pages of the sharing app, one module per page.

``home``, ``book`` (check and book a window), ``bookings`` (a booking: change its end, cancel),
``history`` (the History page and the monthly statement), ``calendar`` (the feed and its
secret), ``trips`` (pick-up, return, damage photos), ``cars`` (a car's photo); ``common``
holds what every page shares.
Thin adapters: a form parses, a selector reads, one service writes; htmx requests get a named
partial of the same template, and every page and form also works without JavaScript.
"""
