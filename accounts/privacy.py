"""The privacy extension point: how other apps take part in data export and erasure.

``accounts`` sits at the bottom of the dependency chain (``accounts`` <- ``sharing`` <-
``energy``), so it cannot import the apps that hold a resident's bookings, trips or charging
sessions. Instead those apps register handlers here from their ``AppConfig.ready()``::

    from accounts import privacy

    class SharingConfig(AppConfig):
        def ready(self) -> None:
            from sharing import privacy as sharing_privacy

            privacy.register(
                name="sharing",
                exporter=sharing_privacy.export_user,  # (user) -> dict, JSON-serialisable
                eraser=sharing_privacy.erase_user,  # (user) -> None
            )

Contract for handlers:

* ``exporter(user)`` returns only data about that user (never about household members or other
  residents); values may be anything ``DjangoJSONEncoder`` can serialise (dates, decimals, UUIDs).
  Its result appears in the download under the key ``name``.
* ``eraser(user)`` wipes or anonymises personal data held by the app. It runs inside the
  erasure transaction *before* accounts wipes the user's own fields, so it can still read
  ``user.email`` and ``user.full_name``. Records that accounting or the grid need (bookings, trips,
  energy) stay, referring to the user row, whose ``pseudonym`` survives erasure.
  It must be idempotent: erasing twice is harmless.

Registering the same ``name`` again replaces the handler, so a repeated ``ready()`` is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounts.models import User

Exporter = Callable[["User"], dict[str, Any]]
Eraser = Callable[["User"], None]

# Section names that accounts itself uses in the download; other apps may not take them.
RESERVED_NAMES = frozenset({"format", "generated_at", "profile", "household", "consents"})


@dataclass(frozen=True)
class PrivacyHandler:
    name: str
    exporter: Exporter | None
    eraser: Eraser | None


_handlers: dict[str, PrivacyHandler] = {}


def register(*, name: str, exporter: Exporter | None = None, eraser: Eraser | None = None) -> None:
    """Register (or replace) the export and erasure handlers of one app."""
    if name in RESERVED_NAMES:
        raise ValueError(f"{name!r} is reserved by accounts for its own export sections")
    if exporter is None and eraser is None:
        raise ValueError("register at least an exporter or an eraser")
    _handlers[name] = PrivacyHandler(name=name, exporter=exporter, eraser=eraser)


def unregister(name: str) -> None:
    _handlers.pop(name, None)


def handlers() -> list[PrivacyHandler]:
    return list(_handlers.values())


def export_sections(user: User) -> dict[str, Any]:
    """Every registered app's part of the download, keyed by its registered name."""
    return {h.name: h.exporter(user) for h in handlers() if h.exporter is not None}


def erase_everywhere(user: User) -> None:
    """Run every registered eraser; called by ``accounts.services.erasure.user_erase`` only."""
    for handler in handlers():
        if handler.eraser is not None:
            handler.eraser(user)
