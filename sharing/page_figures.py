"""The extension point of the resident's pages: figures that other apps add to a page.

``sharing`` never imports ``energy``, yet the History page shows what a resident's own car fed
back to the neighbourhood, which only ``energy`` knows. So apps register a provider for a page
from their ``AppConfig.ready()``::

    from sharing import page_figures

    class EnergyConfig(AppConfig):
        def ready(self) -> None:
            from energy import resident_figures

            page_figures.register(
                page="history", name="own-car", provider=resident_figures.own_car_fed_back
            )

A provider takes the user whose page it is and returns a :class:`Figure` (a template of the
app's own, which the page includes with ``values``) or ``None`` to show nothing. Figures appear
in the order their providers were registered. Registering the same ``(page, name)`` again
replaces the provider, so a repeated ``ready()`` is harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounts.models import User

# The pages that include the figures registered for them.
PAGES = frozenset({"history"})


@dataclass(frozen=True)
class Figure:
    template: str  # included by the page, with ``values`` in its context
    values: Mapping[str, Any]


Provider = Callable[["User"], Figure | None]

_providers: dict[str, dict[str, Provider]] = {}


def register(*, page: str, name: str, provider: Provider) -> None:
    """Register (or replace) the provider ``name`` of a figure on ``page``."""
    if page not in PAGES:
        raise ValueError(f"{page!r} shows no extra figures; pages that do: {sorted(PAGES)}")
    _providers.setdefault(page, {})[name] = provider


def figures(*, page: str, user: User) -> list[Figure]:
    """The figures the registered providers give for ``user``'s ``page``, in their order."""
    shown = (provider(user) for provider in _providers.get(page, {}).values())
    return [figure for figure in shown if figure is not None]
