"""``Authorization: Token <key>`` for a counterparty that is no user (an aggregator, a site
meter): the key's digest is looked up on the model, and only an active row is let in."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from energy.grid.models import token_digest

KEYWORD = "Token"


class CounterpartyTokenAuthentication(BaseAuthentication):
    """A subclass names its `model` (with `token_digest` and `active`) and what to load with it."""

    model: ClassVar[type[Model]]
    select_related: ClassVar[tuple[str, ...]] = ()

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        try:
            token = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        rows = self.model._default_manager.select_related(*self.select_related)
        found: Any = rows.filter(token_digest=token_digest(token)).first()
        if found is None or not found.token_digest or not found.active:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return found, None

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD
