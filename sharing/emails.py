"""Plain-text mails to residents about their bookings, sent after commit by the services."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from config.outage import on_commit_despite_redis
from sharing.models import Booking

KINDS = ("confirmed", "bound", "changed", "reminder", "late", "cancelled")


def render_booking_mail(kind: str, booking: Booking) -> tuple[str, str]:
    """Subject and body; the template's first line is the subject."""
    tz = booking.hub.tz
    context = {
        "booking": booking,
        "hub": booking.hub,
        "start": booking.start.astimezone(tz),
        "end": booking.end.astimezone(tz),
        "vehicle": booking.vehicle,
        "bay": booking.vehicle.home_bay if booking.vehicle else None,
        "url": settings.SITE_URL + reverse("sharing:booking-detail", args=[booking.pk]),
    }
    text = render_to_string(f"emails/sharing/{kind}.txt", context)
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def send_booking_mail(kind: str, booking_id: int) -> None:
    booking = (
        Booking.objects.select_related("hub", "resident", "vehicle__model", "vehicle__home_bay")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None or not booking.resident.email:
        return
    subject, body = render_booking_mail(kind, booking)
    send_mail(subject, body, None, [booking.resident.email])


def queue_booking_mail(kind: str, booking_id: int) -> None:
    """Send after commit, as a task: a slow mail server never holds up a booking."""
    from sharing import tasks  # tasks import services, which import this module

    assert kind in KINDS
    on_commit_despite_redis(
        lambda: tasks.send_booking_mail.delay(kind, booking_id),
        what=f"the {kind!r} mail of booking {booking_id}",
    )
