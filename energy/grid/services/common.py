"""What every grid service shares: ``Rejected`` (a refused request or order, with its UFTP
rejection reason), the four-decimal euro of prices, and reading a message id as a UUID.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

EUR4 = Decimal("0.0001")


class Rejected(Exception):
    """A request or order refused; ``reason`` is the UFTP RejectionReason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def as_uuid(value: str | uuid.UUID | None) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
