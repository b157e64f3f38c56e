"""The sharing app's admin: each module registers the admins of one part of the fleet.

``scope`` limits hub managers to their hubs (and is where other apps register how their models
reach a hub); ``fleet`` holds hubs, vehicle models and cars; ``bookings`` holds bookings, trips,
damage reports and fair-use limits; ``actions`` the intermediate pages of actions that need
input; ``views`` the custom pages (late returns, the monthly CSV). Importing this package
registers every admin.
"""

from sharing.admin import bookings, fleet  # noqa: F401  (they register their admins)
