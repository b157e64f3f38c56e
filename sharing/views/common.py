"""What every resident page shares: the request of a logged-in resident, and htmx's details.

Used by ``sharing``'s pages and by ``energy``'s (which may import ``sharing``, never the reverse).
"""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import User


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def request_user(request: HttpRequest) -> User:
    """The logged-in resident of a ``login_required`` view."""
    assert isinstance(request.user, User)
    return request.user
