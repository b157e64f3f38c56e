"""Small typed readers of the environment.

Every setting that comes from the environment goes through one of these, so a bad value stops
start-up with an ``ImproperlyConfigured`` that names the variable instead of failing later.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from email.utils import getaddresses
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


# What Django's ``check --deploy`` calls a weak key (security.W009).
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5
INSECURE_KEY_PREFIX = "django-insecure-"


def env_secret_key(name: str, development_key: str, *, debug: bool) -> str:
    """The secret key; with ``debug`` off, one that is set and strong, or start-up stops."""
    key = os.environ.get(name) or development_key
    if debug:
        if len(key) < 32:
            raise ImproperlyConfigured(f"{name} must be at least 32 characters long")
        return key
    if key == development_key:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off")
    weak = (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith(INSECURE_KEY_PREFIX)
    )
    if weak:
        raise ImproperlyConfigured(
            f"{name} is too weak for DEBUG off: use at least {SECRET_KEY_MIN_LENGTH} random "
            f"characters (at least {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones, not "
            f"starting with {INSECURE_KEY_PREFIX!r}), for example from "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    return key


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false, 1/0), not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None
    if value != value or (minimum is not None and value < minimum):  # NaN, or too small
        raise ImproperlyConfigured(f"{name} must be a number of at least {minimum}, not {raw!r}")
    return value


def env_choice(name: str, default: str, choices: set[str]) -> str:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name} must be one of {', '.join(sorted(choices))}, not {raw!r}"
        )
    return value


def env_admins(name: str) -> list[tuple[str, str]]:
    """``ADMINS``: ``"Fleet desk <fleet@example.org>, ops@example.org"`` as (name, address)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return []
    admins = []
    for display, address in getaddresses([raw]):
        local, at, domain = address.partition("@")
        if not (local and at and "." in domain) or any(c.isspace() for c in address):
            raise ImproperlyConfigured(
                f"{name} must be comma-separated mail addresses such as "
                f"'Fleet desk <fleet@example.org>, ops@example.org', not {raw!r}"
            )
        admins.append((display or local, address))
    return admins


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name} must be a comma-separated list, not empty")
    return items


def env_timezone(name: str, default: str) -> str:
    raw = os.environ.get(name, default)
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name} must be an IANA time zone, not {raw!r}") from None
    return raw


def parse_database_url(name: str, url: str) -> dict[str, object]:
    """``postgres://user:pass@host:port/name`` or ``sqlite:///path`` to a DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative.db -> "relative.db"; sqlite:////abs/path.db -> "/abs/path.db"
        path = unquote(parts.path)[1:]
        if not path:
            raise ImproperlyConfigured(
                f"{name} must name a SQLite file, as in sqlite:///db.sqlite3"
            )
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        db_name = unquote(parts.path.lstrip("/"))
        if not db_name:
            raise ImproperlyConfigured(f"{name} must name a database, as in postgres://host/dbname")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name} has a port that is not a number") from None
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": db_name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ImproperlyConfigured(
        f"{name} must start with postgres:// or sqlite:///, not {parts.scheme or 'nothing'}://"
    )


def env_database(name: str, default_sqlite_path: str) -> dict[str, object]:
    raw = os.environ.get(name)
    if not raw:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": default_sqlite_path}
    return parse_database_url(name, raw)


def env_redis_url(name: str) -> str | None:
    raw = os.environ.get(name)
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        raise ImproperlyConfigured(f"{name} must look like redis://host:6379/0, not {raw!r}")
    return raw


@dataclass(frozen=True)
class EmailConfig:
    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False


def parse_email_url(name: str, url: str) -> EmailConfig:
    """``smtp://user:pass@host:587?tls=true``, ``console://`` or ``locmem://``."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return EmailConfig(backend="django.core.mail.backends.console.EmailBackend")
    if parts.scheme == "locmem":
        return EmailConfig(backend="django.core.mail.backends.locmem.EmailBackend")
    if parts.scheme in {"smtp", "smtps"}:
        if not parts.hostname:
            raise ImproperlyConfigured(
                f"{name} must name a host, as in smtp://mail.example.org:587"
            )
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError:
            raise ImproperlyConfigured(f"{name} has a port that is not a number") from None
        query = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
        return EmailConfig(
            backend="django.core.mail.backends.smtp.EmailBackend",
            host=parts.hostname,
            port=port,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            use_tls=query.get("tls") in TRUE_WORDS,
            use_ssl=parts.scheme == "smtps",
        )
    raise ImproperlyConfigured(
        f"{name} must start with smtp://, smtps://, console:// or locmem://, not {url!r}"
    )


def env_email(name: str) -> EmailConfig:
    raw = os.environ.get(name)
    if raw:
        return parse_email_url(name, raw)
    if os.environ.get("EMAIL_HOST"):
        return EmailConfig(
            backend="django.core.mail.backends.smtp.EmailBackend",
            host=env_str("EMAIL_HOST", "localhost"),
            port=env_int("EMAIL_PORT", 25, minimum=1),
            user=env_str("EMAIL_HOST_USER", ""),
            password=env_str("EMAIL_HOST_PASSWORD", ""),
            use_tls=env_bool("EMAIL_USE_TLS", False),
            use_ssl=env_bool("EMAIL_USE_SSL", False),
        )
    return EmailConfig(backend="django.core.mail.backends.console.EmailBackend")
