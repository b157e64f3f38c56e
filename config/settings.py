"""Wisselstroom settings: one module, read from the environment through ``config.env``.

With nothing set it runs on a laptop: SQLite, Celery tasks in-process, mail to the console.
``DATABASE_URL`` and ``REDIS_URL`` switch it to PostgreSQL and Redis.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.cache import caches_for
from config.env import (
    env_admins,
    env_bool,
    env_choice,
    env_database,
    env_email,
    env_float,
    env_int,
    env_list,
    env_redis_url,
    env_secret_key,
    env_str,
    env_timezone,
)
from config.logs import logging_config
from config.net import parse_trusted_proxies
from config.sentry import init_sentry

# Lets admin classes and querysets be subscripted at run time (ModelAdmin[Vehicle]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-insecure-key-never-use-this-in-production"  # noqa: S105 - refused when DEBUG is off

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_secret_key("SECRET_KEY", DEV_SECRET_KEY, debug=DEBUG)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "accounts.apps.AdminConfig",  # Django's admin, staff log in with a second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    "sharing",
    "energy",
]
# The benchmark commands (bench/): development only, never in a production image.
BENCHMARKS = env_bool("BENCHMARKS", DEBUG)
if BENCHMARKS:
    INSTALLED_APPS.append("bench")

MIDDLEWARE = [
    # Request counts and latencies for /metrics (config/metrics.py): the outermost middleware
    # times everything, the other one (last but axes) counts by view, method and status.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # /healthz answers before the host check and the HTTPS redirect, for probes from inside.
    "config.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the path, query or body: a NUL is a 400, never a database error.
    "config.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the admin's 2nd factor
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.RedisDownMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Inside it axes may still swap the view's answer for its lockout page: counted here is the
    # status the client got.
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # AxesMiddleware last, as django-axes asks, so it sees the finished response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", str(BASE_DIR / "db.sqlite3"))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The in-process planner thread writes beside the web threads: wait for locks, not fail.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30}
if env_str("TEST_DATABASE_NAME", ""):
    # Lets concurrent test runs on one server use their own throwaway databases.
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "sharing:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# Log-in throttling: 5 failures for one account from one address lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Per-address limits (log-in lockout, throttles, OCPP handshakes) read X-Forwarded-For only from
# these proxies (addresses or networks); from anyone else it is ignored. See config.net.
TRUSTED_PROXIES = parse_trusted_proxies("TRUSTED_PROXIES", env_list("TRUSTED_PROXIES", []))
AXES_CLIENT_IP_CALLABLE = "config.net.client_ip"
# Staff log in to the admin with a password and a TOTP code (accounts.two_factor); always in
# production (DEBUG off) unless turned off here; enrol with `manage.py enrol_totp EMAIL`.
ADMIN_REQUIRE_2FA = env_bool("ADMIN_REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = "Wisselstroom"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date style per language (config/formats/<lang>/formats.py); templates name the formats.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env_timezone("TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

REDIS_URL = env_redis_url("REDIS_URL")
# Redis only caches and queues: an unreachable one is a cache miss (see config.cache and
# config.outage), never a failed booking.
CACHES = caches_for(REDIS_URL, key_prefix=env_str("CACHE_KEY_PREFIX", "wisselstroom"))

# Celery: with no broker, tasks run in-process so that a laptop needs nothing else.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", REDIS_URL is None)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"energy.tasks.plan_hub": {"queue": "dispatch"}}
CELERY_TIMEZONE = "UTC"
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A message a worker took but never acknowledged (plan_hub acknowledges only when done) goes back
# to the queue this many seconds after it was handed out, if that worker died. Longer than a
# normal solve (DISPATCH_TIME_LIMIT_SECONDS, 20 s, plus loading and saving), short enough that a
# killed worker's plan is made within a minute. A live solve that outlasts it is handed out once
# more and finds the hub's lock held (harmless); countdowns must stay below it (the longest is
# plan_hub's wait for a dead holder's 30-s lease). Sweep for such messages every 5 s.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 35, minimum=1),
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
    # A broker that does not answer fails a publish in seconds (see config.outage), not minutes.
    "socket_connect_timeout": 2,
}

_email = env_email("EMAIL_URL")
EMAIL_BACKEND = _email.backend
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = _email.password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Wisselstroom <hub@wisselstroom.example>")
# Who hears about failures: server errors, failed dispatch runs, tasks that failed for good.
ADMINS = env_admins("ADMINS")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = env_str("EMAIL_SUBJECT_PREFIX", "[Wisselstroom] ")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)

REST_FRAMEWORK = {
    # Token first: DRF takes the first class's challenge, so a request without credentials gets
    # a 401 with "WWW-Authenticate: Token" (session authentication has none, which means 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.throttle.TokenAuthentication",  # DRF's, with wrong tokens limited per address
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "config.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    # Per user, or per address without credentials: rates in config.throttle (THROTTLE_RATES).
    "DEFAULT_THROTTLE_CLASSES": ["config.throttle.ApiThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Wisselstroom API",
    "DESCRIPTION": "Book shared bidirectional cars at a residential mobility hub.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy: the header it sets on HTTPS requests (X-Forwarded-Proto).
_proxy_ssl_header = env_str("SECURE_PROXY_SSL_HEADER", "")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]  # scraped over the internal network
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# Wisselstroom itself.
SHARED_DATA_DIR = Path(
    env_str("WISSELSTROOM_SHARED_DATA", str(BASE_DIR.parent / "shared" / "data"))
)
DISPATCH_TIME_LIMIT_SECONDS = env_int("DISPATCH_TIME_LIMIT_SECONDS", 20, minimum=1)
DISPATCH_RUN_RETENTION_DAYS = env_int("DISPATCH_RUN_RETENTION_DAYS", 30, minimum=1)

LOG_FORMAT = env_choice("LOG_FORMAT", "text", {"text", "json"})
LOGGING = logging_config(
    level=env_str("LOG_LEVEL", "INFO"),
    ocpp_level=env_str("OCPP_LOG_LEVEL", "WARNING"),
    log_format=LOG_FORMAT,
)
SENTRY_ENABLED = init_sentry(
    env_str("SENTRY_DSN", ""),
    environment=env_str("SENTRY_ENVIRONMENT", "production"),
    release=env_str("SENTRY_RELEASE", ""),
    traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0, minimum=0.0),
)

# /healthz: a live plan older than this makes the hub unhealthy (beat plans every 15 minutes).
HEALTH_PLAN_MAX_AGE_MINUTES = env_int("HEALTH_PLAN_MAX_AGE_MINUTES", 45, minimum=1)
HEALTH_WORKER_TIMEOUT_SECONDS = env_float("HEALTH_WORKER_TIMEOUT_SECONDS", 1.0, minimum=0.1)
HEALTH_WORKER_CACHE_SECONDS = env_float("HEALTH_WORKER_CACHE_SECONDS", 10.0, minimum=0.0)
# /healthz names what failed only to probes from inside or with "Authorization: Bearer <this>".
HEALTH_TOKEN = env_str("HEALTH_TOKEN", "")
# /metrics: staff, or a scraper sending "Authorization: Bearer <METRICS_TOKEN>".
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
DISPATCH_HORIZON_SLOTS = env_int("DISPATCH_HORIZON_SLOTS", 192, minimum=4)
DISPATCH_DEBOUNCE_SECONDS = env_int("DISPATCH_DEBOUNCE_SECONDS", 2, minimum=0)
# How often the worker polls each hub's OpenADR 3 VTN for capacity limits (energy.grid.openadr).
OPENADR_POLL_SECONDS = env_int("OPENADR_POLL_SECONDS", 60, minimum=10)
# How far a grid operator's power deficiency per ISP may differ from the hub's own measurement
# before its FlexSettlement of the order is disputed (energy.grid.services.dso_settlement).
UFTP_SETTLEMENT_TOLERANCE_W = env_int("UFTP_SETTLEMENT_TOLERANCE_W", 100, minimum=0)
# The site meter's raw readings older than this are pruned nightly, except those of a month
# whose settlement a grid operator has not accepted yet (energy.grid.services.retention).
SITE_METER_RETENTION_DAYS = env_int("SITE_METER_RETENTION_DAYS", 400, minimum=1)
PRICE_INBOX_DIR = env_str("PRICE_INBOX_DIR", "")
# Without a broker, re-plans run on a timer thread ("thread") or inside the caller ("sync").
DISPATCH_INPROCESS = env_str("DISPATCH_INPROCESS", "thread")
if DISPATCH_INPROCESS not in {"thread", "sync"}:
    raise ImproperlyConfigured("DISPATCH_INPROCESS must be 'thread' or 'sync'")
