"""Who may read a booking, and who may change it, on the resident pages and the API.

Two helpers, as healthchecks' ``_get_check_for_user`` / ``_get_rw_check_for_user``:

- ``booking_get_for_user`` (read): the resident's household's bookings; staff also read the
  bookings of the hubs they manage (every hub for a superuser or a fleet admin who manages none,
  as in :mod:`sharing.admin.scope`);
- ``booking_get_rw_for_user`` (read-write): the household's own bookings only. Staff change or
  cancel other households' bookings in the admin, within their hubs, where it is logged.

A booking the user may not read is a 404 (it does not exist, as far as they can tell); one they
may read but not change is a 403.

A car's photo (``vehicle_photo_get_for_user``) is read by the households with a booking the car
is (or was) bound to, and by staff who may view cars, within their hubs. A car photo is not
personal data, but which cars a hub runs is the hub's business, not every logged-in user's.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import User
from sharing.models import Booking, Hub, VehiclePhoto


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


def vehicle_photo_get_for_user(*, user: User, vehicle_id: int) -> VehiclePhoto:
    """The car's photo if ``user`` may see it; 404 otherwise (or when the car has none)."""
    photos = VehiclePhoto.objects.filter(vehicle_id=vehicle_id)
    if user.is_staff and user.has_perm("sharing.view_vehicle"):
        hub_ids = (
            []
            if user.is_superuser
            else list(Hub.objects.filter(managers=user).values_list("pk", flat=True))
        )
        staff_photo = (photos.filter(vehicle__hub_id__in=hub_ids) if hub_ids else photos).first()
        if staff_photo is not None:
            return staff_photo
    booked = Booking.objects.of_household(user).filter(vehicle_id=vehicle_id)
    photo = photos.filter(Exists(booked)).first()
    if photo is None:
        raise Http404("No such photo")
    return photo
