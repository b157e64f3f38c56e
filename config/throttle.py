"""Request limits, counted in the cache: the API (DRF) and the pages that guess or send mail.

A limit is a fixed window per scope and key (an address, a user, a typed e-mail address): at
most ``n`` hits per window, counted with ``cache.add`` + ``cache.incr`` (atomic in Redis, so it
holds across web processes). The key is hashed, so no address or e-mail lands in the cache in
clear. Like every cache use here (see :mod:`config.cache`), an unreachable Redis is a miss:
the limits lapse while it is down rather than refusing everyone.

Rates are ``"N/second|minute|hour|day"``; ``DEFAULT_RATES`` below, overridden per scope by the
``THROTTLE_RATES`` setting. Addresses come from :func:`config.net.client_ip` (trusted proxies
only).
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from config.net import client_ip

DEFAULT_RATES: dict[str, str] = {
    "anon": "60/minute",  # API calls without credentials, per address
    "user": "600/minute",  # API calls of one logged-in user (token or session)
    "signup": "10/hour",  # sign-up attempts (each tries an invitation code), per address
    "invitation": "20/day",  # invitation codes one household admin issues
    "password_reset": "5/hour",  # reset requests per address
    "password_reset_email": "3/hour",  # reset mails per typed address; beyond: none, silently
    "api_token": "10/hour",  # new API tokens per user
    "token_failure": "20/hour",  # wrong API tokens per address; beyond, no token is checked
}
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """``"5/hour"`` -> ``Rate(5, 3600)``; ``ValueError`` for anything else."""
    count, _slash, period = text.partition("/")
    seconds = PERIODS.get(period.strip()[:1].lower())
    if not count.strip().isdigit() or seconds is None:
        raise ValueError(f"not a rate like 5/hour: {text!r}")
    return Rate(int(count), seconds)


def rate_for(scope: str) -> Rate:
    configured: dict[str, str] = getattr(settings, "THROTTLE_RATES", {})
    return parse_rate(configured.get(scope, DEFAULT_RATES[scope]))


def _window(scope: str, key: str, now: float) -> tuple[Rate, int, str]:
    rate = rate_for(scope)
    window = int(now // rate.seconds)
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return rate, window, f"throttle:{scope}:{digest}:{window}"


def blocked(scope: str, key: str, *, now: float | None = None) -> int | None:
    """Like ``hit`` without counting: whole seconds to wait if ``key`` used up its rate."""
    now = time.time() if now is None else now
    rate, window, cache_key = _window(scope, key, now)
    if int(cache.get(cache_key) or 0) < rate.count:
        return None
    return max(1, math.ceil((window + 1) * rate.seconds - now))


def hit(scope: str, key: str, *, now: float | None = None) -> int | None:
    """Counts one hit of ``key`` in ``scope``: ``None`` if allowed, else whole seconds to wait."""
    now = time.time() if now is None else now
    rate, window, cache_key = _window(scope, key, now)
    cache.add(cache_key, 0, rate.seconds + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # gone (expired between the two calls, or the cache is unreachable)
        return None
    if count <= rate.count:
        return None
    return max(1, math.ceil((window + 1) * rate.seconds - now))


def wait_text(seconds: int) -> str:
    """ "Try again in 3 minutes." — rounded up to what a person would read."""
    if seconds < 120:
        return ngettext("Try again in %(n)d second.", "Try again in %(n)d seconds.", seconds) % {
            "n": seconds
        }
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return ngettext("Try again in %(n)d minute.", "Try again in %(n)d minutes.", minutes) % {
            "n": minutes
        }
    hours = math.ceil(minutes / 60)
    return ngettext("Try again in %(n)d hour.", "Try again in %(n)d hours.", hours) % {"n": hours}


def too_many(request: HttpRequest, seconds: int) -> HttpResponse:
    """The 429 page: what happened and when to try again, with ``Retry-After``."""
    response = render(
        request,
        "throttled.html",
        {"wait": wait_text(seconds), "seconds": seconds},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def limit(
    scope: str,
    *,
    key: Callable[[HttpRequest], str] | None = None,
    methods: tuple[str, ...] = ("POST",),
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Limit a page's ``methods`` (POST: what guesses, sends or creates) to the scope's rate per
    ``key`` (the client's address by default); beyond it the page answers 429."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method in methods:
                wait = hit(scope, key(request) if key else client_ip(request))
                if wait is not None:
                    return too_many(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def per_user(request: HttpRequest) -> str:
    return f"user:{request.user.pk}"


class ApiThrottle(BaseThrottle):
    """Every API call: ``user`` per logged-in user, ``anon`` per address otherwise."""

    def allow_request(self, request: Request, view: Any) -> bool:
        user = request.user
        if user is not None and user.is_authenticated:
            self._wait = hit("user", f"user:{user.pk}")
        else:
            self._wait = hit("anon", client_ip(request))
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait

    def get_ident(self, request: Request) -> str:
        # DRF's own reads X-Forwarded-For from anyone; only trusted proxies count here.
        return client_ip(request)


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, with wrong tokens limited per address: once an address has
    sent ``token_failure`` wrong tokens, its tokens are not even looked up until the window ends
    (429), so tokens cannot be guessed at the API's speed."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        if not authentication.get_authorization_header(request):
            return None
        address = client_ip(request)
        wait = blocked("token_failure", address)
        if wait is not None:
            raise exceptions.Throttled(wait)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            hit("token_failure", address)
            raise


def throttled_detail(seconds: float | None) -> str:
    """The API's 429 message."""
    text = _("Too many requests.")
    if seconds:
        text += " " + wait_text(math.ceil(seconds))
    return text
