"""The API's pagination: ``limit``/``offset`` with bounds, so a client's number never reaches the
database unchecked (PostgreSQL answers an absurd one with "bigint out of range", a 500)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

MAX_LIMIT = 200
# No list here is that long; beyond it a client is fuzzing or has lost count, not paging.
MAX_OFFSET = 1_000_000


def _whole_number(request: Request, name: str, *, lowest: int, highest: int | None) -> int | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        value: int | None = int(raw)
    except ValueError:  # not a number, or thousands of digits
        value = None
    if value is None or value < lowest or (highest is not None and value > highest):
        if highest is None:
            message = _("%(name)s must be a whole number of at least %(lowest)d.")
        else:
            message = _("%(name)s must be a whole number from %(lowest)d to %(highest)d.")
        raise ValidationError(
            {name: [message % {"name": name, "lowest": lowest, "highest": highest}]}
        )
    return value


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """DRF's ``limit``/``offset``, with ``limit`` capped at :data:`MAX_LIMIT` and a ``limit`` or
    ``offset`` that is not a sensible whole number refused with a 400 that says so."""

    max_limit = MAX_LIMIT
    limit_query_description = (
        f"Number of results to return per page (1 to {MAX_LIMIT}; more is cut to {MAX_LIMIT})."
    )
    offset_query_description = (
        f"The initial index from which to return the results (0 to {MAX_OFFSET})."
    )

    def get_limit(self, request: Request) -> int | None:
        value = _whole_number(request, self.limit_query_param, lowest=1, highest=None)
        if value is None:
            return self.default_limit
        return min(value, self.max_limit)

    def get_offset(self, request: Request) -> int:
        value = _whole_number(request, self.offset_query_param, lowest=0, highest=MAX_OFFSET)
        return value or 0

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1},
            self.offset_query_param: {"minimum": 0, "maximum": MAX_OFFSET},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
