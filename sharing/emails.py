"""Plain-text mails to residents about their bookings, sent after commit by the services.

The direction is ``sharing.tasks`` -> ``sharing.services`` -> ``sharing.emails``: the periodic
jobs call the services, the services queue mails here, and this module imports neither. The mail
task lives here, under the Celery name it always had (``sharing.tasks.send_booking_mail``), so
mails already queued and the task's retries keep working.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from config.mail import MAIL_TASK, permanent_refusals_not_retried
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


def deliver_booking_mail(kind: str, booking_id: int) -> None:
    """Render and send one mail now (the task below calls this)."""
    booking = (
        Booking.objects.select_related("hub", "resident", "vehicle__model", "vehicle__home_bay")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None or not booking.resident.email:
        return
    subject, body = render_booking_mail(kind, booking)
    send_mail(subject, body, None, [booking.resident.email])


@shared_task(
    name="sharing.tasks.send_booking_mail",
    **MAIL_TASK,
)
def send_booking_mail(kind: str, booking_id: int) -> None:
    """Resident mail off the request path: with a broker a worker sends it, with retries on what
    a mail server can get over (see ``config.mail``)."""
    with permanent_refusals_not_retried():
        deliver_booking_mail(kind, booking_id)


def queue_booking_mail(kind: str, booking_id: int) -> None:
    """Send after commit, as a task: a slow mail server never holds up a booking."""
    assert kind in KINDS
    on_commit_despite_redis(
        lambda: send_booking_mail.delay(kind, booking_id),
        what=f"the {kind!r} mail of booking {booking_id}",
    )
