"""Wall-clock times at a hub: what a resident types, read in the hub's time zone.

The booking pages (``sharing.forms``) and the API (``sharing.api``) both take a local date and
time. On a clock-change day a wall-clock time may not exist (the clocks move forward) or happen
twice (they go back); both are refused here, with the same words on the pages and in the API,
rather than guessed. Years far outside any booking window are refused too, before converting to
UTC or widening by a buffer would overflow ``datetime``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"  # what ``<input type="datetime-local">`` sends
# Far wider than any booking window; keeps every conversion and buffer inside datetime's range.
MIN_YEAR, MAX_YEAR = 1971, 8999


def check_year(moment: datetime) -> None:
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        # Year 1 or 9999 would overflow once converted to UTC or widened by a buffer: a 500.
        raise ValidationError(
            _("That date is out of range: pick one in the coming weeks."), code="out_of_range"
        )


def localize(naive: datetime, tz: ZoneInfo, *, offset_allowed: bool = False) -> datetime:
    """The wall-clock time ``naive`` in ``tz``, as an aware datetime.

    Refused (``ValidationError``) when the year is out of range, or when the time does not exist
    or happens twice on a clock-change day; where the caller may send a UTC offset
    (``offset_allowed``, the API), the refusal of a time that happens twice says to add one.
    """
    check_year(naive)
    early, late = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if early.utcoffset() != late.utcoffset():
        round_trip = early.astimezone(ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None)
        if round_trip != naive:
            raise ValidationError(
                _("%(time)s does not exist on this day: the clocks move forward.")
                % {"time": naive.strftime("%H:%M")},
                code="nonexistent",
            )
        if offset_allowed:
            message = _("%(time)s happens twice on this day (clocks go back): add the UTC offset.")
        else:
            message = _(
                "%(time)s happens twice on this day (the clocks go back). Pick another time."
            )
        raise ValidationError(message % {"time": naive.strftime("%H:%M")}, code="ambiguous")
    return early


def as_local_input(moment: datetime, tz: ZoneInfo) -> str:
    """``moment`` as a ``datetime-local`` input's value in ``tz``."""
    return moment.astimezone(tz).strftime(DATETIME_LOCAL)
