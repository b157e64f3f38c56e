"""Who may read a booking, and who may change it, on the resident pages and the API.

Two helpers, as healthchecks' ``_get_check_for_user`` / ``_get_rw_check_for_user``:

- ``booking_get_for_user`` (read): the resident's household's bookings; staff also read the
  bookings of the hubs they manage (every hub for a superuser or a fleet admin who manages none,
  as in :mod:`sharing.admin.scope`);
- ``booking_get_rw_for_user`` (read-write): the household's own bookings only. Staff change or
  cancel other households' bookings in the admin, within their hubs, where it is logged.

A booking the user may not read is a 404 (it does not exist, as far as they can tell); one they
may read but not change is a 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import User
from sharing.models import Booking


def bookings_readable(*, user: User) -> QuerySet[Booking]:
    return (
        Booking.objects.visible_to(user)
        .select_related("hub", "vehicle__model", "vehicle__home_bay", "resident")
        .order_by("-start", "-id")
    )


def booking_get_for_user(*, user: User, pk: int) -> Booking:
    """The booking if ``user`` may read it; 404 otherwise. Never use it to change a booking."""
    booking = bookings_readable(user=user).filter(pk=pk).first()
    if booking is None:
        raise Http404("No such booking")
    return booking


def booking_may_change(*, user: User, booking: Booking) -> bool:
    """Whether ``user`` may change or cancel ``booking`` here (the rule of
    ``BookingQuerySet.actionable_by`` for one booking already read)."""
    return user.household_id is not None and booking.household_id == user.household_id


def booking_get_rw_for_user(*, user: User, pk: int) -> Booking:
    """The booking if ``user`` may change or cancel it: 404 if they may not read it, 403 if
    they may read but not change it."""
    booking = booking_get_for_user(user=user, pk=pk)
    if not booking_may_change(user=user, booking=booking):
        raise PermissionDenied(
            _("Only the booking's household can change it here; staff use the admin.")
        )
    return booking
