"""Fleet admin: residents, households, invitations and (read-only) consents.

``users`` holds the residents and their consents, ``households`` the households and invitation
codes; importing this package registers them all.

The admin's log-in form (failures counted per account, plus the second factor for staff) is
the site's own: see accounts.two_factor.AdminSite.
"""

from __future__ import annotations

from accounts.admin import households, users

__all__ = ["households", "users"]
