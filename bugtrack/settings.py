"""Bugtrack settings: one file, every knob read from the environment (django-environ).

An optional `.env` file in the repository root fills in variables the environment does not
set. A bad value fails at start with ImproperlyConfigured naming the variable.
"""

import ipaddress
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from bugtrack.environment import DEFAULT_BASE_URL, default_bind, read_env_file

BASE_DIR = Path(__file__).resolve().parent.parent
read_env_file()
DATA_DIR = Path(environ.Env().str("DATA_DIR", default=str(BASE_DIR / "data")))

env = environ.Env()


def _read(name: str, cast: str, **kwargs: Any) -> Any:
    """Read one variable; any parse error names the variable that caused it."""
    try:
        return getattr(env, cast)(name, **kwargs)
    except ImproperlyConfigured:
        raise
    except Exception as exc:  # environ raises ValueError/KeyError/etc. on bad input
        raise ImproperlyConfigured(f"Environment variable {name} is invalid: {exc}") from exc


def _positive_int(name: str, default: int) -> int:
    value = _read(name, "int", default=default)
    if value <= 0:
        raise ImproperlyConfigured(f"Environment variable {name} must be a positive integer")
    return value


# "production" makes SECRET_KEY mandatory; local runs persist a generated one under DATA_DIR.
PRODUCTION = _read("PRODUCTION", "bool", default=False)
DEBUG = _read("DEBUG", "bool", default=False)


# Examples from our docs and the usual placeholders, compared without case or punctuation.
_PLACEHOLDER_KEYS = {"changemetoalongrandomstring", "changeme", "secret", "secretkey",
                     "yoursecretkey", "replaceme", "insecure", "password"}  # fmt: skip
MIN_SECRET_KEY_LENGTH = 50  # and at least 5 distinct characters: Django's own check (W009)


def _weak_key_reason(key: str) -> str:
    folded = "".join(c for c in key.lower() if c.isalnum())
    if key.startswith("django-insecure-"):
        return "has Django's 'django-insecure-' prefix"
    if folded in _PLACEHOLDER_KEYS or folded.startswith(("changeme", "replaceme")):
        return "is a placeholder from an example"
    if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 5:
        return f"is shorter than {MIN_SECRET_KEY_LENGTH} characters or too repetitive"
    return ""


def _secret_key() -> str:
    key = _read("SECRET_KEY", "str", default="")
    if PRODUCTION and not key:
        raise ImproperlyConfigured("Environment variable SECRET_KEY is required when PRODUCTION=1")
    if PRODUCTION and (reason := _weak_key_reason(key)):
        raise ImproperlyConfigured(
            f"Environment variable SECRET_KEY {reason}; with PRODUCTION=1 use a long random "
            "one: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

BASE_URL = _read("BASE_URL", "str", default=DEFAULT_BASE_URL).rstrip("/")
_base = urlsplit(BASE_URL)
if _base.scheme not in ("http", "https") or not _base.netloc:
    raise ImproperlyConfigured("Environment variable BASE_URL must be an http(s) URL")
BASE_URL_IS_HTTPS = _base.scheme == "https"
# Where `serve` (make run) and gunicorn listen: BIND, else 127.0.0.1 on BASE_URL's port.
BIND = _read("BIND", "str", default=default_bind(BASE_URL))

ALLOWED_HOSTS = _read(
    "ALLOWED_HOSTS", "list", default=["127.0.0.1", "localhost", _base.hostname or "127.0.0.1"]
)
CSRF_TRUSTED_ORIGINS = _read(
    "CSRF_TRUSTED_ORIGINS", "list", default=[f"{_base.scheme}://{_base.netloc}"]
)
SESSION_COOKIE_SECURE = BASE_URL_IS_HTTPS
CSRF_COOKIE_SECURE = BASE_URL_IS_HTTPS
# Behind a proxy, X-Forwarded-* are trusted: the scheme, the host, and the client address that
# sign-in throttling counts (core.http.client_address).
BEHIND_PROXY = _read("BEHIND_PROXY", "bool", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# HSTS for an https BASE_URL (a year; 0 turns it off). Preloading commits the whole domain
# to browsers' lists, so it stays the operator's explicit choice.
SECURE_HSTS_SECONDS = _read(
    "SECURE_HSTS_SECONDS", "int", default=365 * 24 * 3600 if BASE_URL_IS_HTTPS else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _read("SECURE_HSTS_INCLUDE_SUBDOMAINS", "bool", default=True)
SECURE_HSTS_PRELOAD = _read("SECURE_HSTS_PRELOAD", "bool", default=False)
# http -> https: Django redirects unless a TLS proxy (BEHIND_PROXY) does it at its own http
# port; our redirect would then also catch the proxy's and orchestrator's plain-http health
# probes. The health and metrics endpoints are never redirected.
SECURE_SSL_REDIRECT = _read(
    "SECURE_SSL_REDIRECT", "bool", default=BASE_URL_IS_HTTPS and not BEHIND_PROXY
)
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SILENCED_SYSTEM_CHECKS = []
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS.append("security.W021")  # preload: see above
if BEHIND_PROXY and not SECURE_SSL_REDIRECT:
    SILENCED_SYSTEM_CHECKS.append("security.W008")  # the proxy redirects

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    # Bugtrack's apps in layer order, lowest first: imports point down this list only
    # (docs/architecture.md, "Layers").
    "core",
    "projects",
    "accounts",
    "ingest",
    "events",
    "artifacts",
    "issues",
    "alerts",
    "digest",
    "api",
    "ops",
    "bugtrack",
]

# Ingest URLs never reach this chain: IngestShortcutMiddleware answers them first,
# so SDK traffic costs no session, auth, CSRF or messages work.
MIDDLEWARE = [
    "ingest.middleware.IngestShortcutMiddleware",
    # Request id, access log line and latency; the ingest shortcut does the same itself.
    "core.middleware.RequestContextMiddleware",
    # A NUL in the path, query or form is a 400 before any view can send it to a query.
    "core.middleware.RejectNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "bugtrack.urls"
WSGI_APPLICATION = "bugtrack.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": _read("DATABASE_URL", "db", default=f"sqlite:///{DATA_DIR / 'bugtrack.sqlite3'}")
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the web and worker processes read while the other writes; IMMEDIATE avoids
    # lock upgrades that would fail with "database is locked" under concurrent writers.
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file (not :memory:) so live-server subprocesses in tests see the same database.
    _db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
# Persistent connections for both engines. On SQLite this matters most: closing the last
# connection to a WAL database checkpoints (fsyncs) and deletes the WAL, so every ingest
# request would pay for an fsync (docs/architecture.md, Ingest).
_db["CONN_MAX_AGE"] = _read("CONN_MAX_AGE", "int", default=600)
# Off by default: a health check is a SELECT 1 round trip on every request. Ingest replaces
# a stale connection itself (ingest/queue.py); other views fail once and reconnect.
_db["CONN_HEALTH_CHECKS"] = _read("CONN_HEALTH_CHECKS", "bool", default=False)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Sign-in with the company's identity provider (OpenID Connect; accounts/oidc*.py, README "SSO").
# Empty OIDC_ISSUER: no SSO. The OIDC backend is always listed; it answers only SSO callbacks.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "accounts.oidc.OIDCBackend",
]
OIDC_ISSUER = _read("OIDC_ISSUER", "str", default="").rstrip("/")
OIDC_CLIENT_ID = _read("OIDC_CLIENT_ID", "str", default="")
OIDC_CLIENT_SECRET = _read("OIDC_CLIENT_SECRET", "str", default="")
OIDC_ALLOWED_EMAIL_DOMAINS = [
    d.strip().lower().lstrip("@")
    for d in _read("OIDC_ALLOWED_EMAIL_DOMAINS", "list", default=[])
    if d.strip()
]
OIDC_BUTTON_LABEL = _read("OIDC_BUTTON_LABEL", "str", default="Sign in with SSO")
OIDC_CREATE_USERS = _read("OIDC_CREATE_USERS", "bool", default=True)
OIDC_SCOPES = _read("OIDC_SCOPES", "str", default="openid email profile")
# Azure AD sends no email_verified; its optional claim xms_edov says the same (README).
OIDC_EMAIL_VERIFIED_CLAIM = _read("OIDC_EMAIL_VERIFIED_CLAIM", "str", default="email_verified")
OIDC_TIMEOUT = _read("OIDC_TIMEOUT", "float", default=5.0)
# Off: the sign-in page shows only the SSO button; staff keep a break-glass password sign-in
# at /accounts/login/?password (README).
PASSWORD_LOGIN = _read("PASSWORD_LOGIN", "bool", default=True)
if OIDC_ISSUER:
    _issuer = urlsplit(OIDC_ISSUER)
    if _issuer.scheme not in ("http", "https") or not _issuer.hostname:
        raise ImproperlyConfigured("Environment variable OIDC_ISSUER must be an http(s) URL")
    if not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
        raise ImproperlyConfigured("OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET")
elif not PASSWORD_LOGIN:
    raise ImproperlyConfigured("PASSWORD_LOGIN=off needs OIDC_ISSUER: nobody could sign in")
# mozilla-django-oidc's own knobs: authorization code + PKCE (S256), state and nonce.
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_RP_SCOPES = OIDC_SCOPES
OIDC_CREATE_USER = OIDC_CREATE_USERS
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:sso_callback"
LOGIN_REDIRECT_URL_FAILURE = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Tests and `make run` may serve without collectstatic having run.
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

# Email: smtp://user:pass@host:587, smtp+tls://, smtp+ssl://, console://
EMAIL_URL = _read("EMAIL_URL", "str", default="console://")
# django-environ spells the console backend "consolemail://"; accept the common "console://".
_email_url = "consolemail://" if EMAIL_URL.startswith("console:") else EMAIL_URL
try:
    vars().update(environ.Env.email_url_config(_email_url))
except Exception as exc:
    raise ImproperlyConfigured(f"Environment variable EMAIL_URL is invalid: {exc}") from exc
DEFAULT_FROM_EMAIL = _read("DEFAULT_FROM_EMAIL", "str", default="Bugtrack <bugtrack@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds; a hanging SMTP server must not stall the alert sender for long.
EMAIL_TIMEOUT = _positive_int("EMAIL_TIMEOUT", 10)

# One organization per installation; its slug appears in Sentry-style API paths.
ORGANIZATION_SLUG = _read("ORGANIZATION_SLUG", "str", default="bugtrack")

# Ingest limits (bytes) and flow control.
INGEST_MAX_COMPRESSED_BYTES = _positive_int("INGEST_MAX_COMPRESSED_BYTES", 20 * 1024 * 1024)
INGEST_MAX_ENVELOPE_BYTES = _positive_int("INGEST_MAX_ENVELOPE_BYTES", 100 * 1024 * 1024)
INGEST_MAX_EVENT_BYTES = _positive_int("INGEST_MAX_EVENT_BYTES", 1024 * 1024)
INGEST_EVENTS_PER_MINUTE = _positive_int("INGEST_EVENTS_PER_MINUTE", 60_000)
INGEST_MAX_QUEUE_DEPTH = _positive_int("INGEST_MAX_QUEUE_DEPTH", 100_000)
INGEST_KEY_CACHE_SECONDS = _read("INGEST_KEY_CACHE_SECONDS", "float", default=5.0)
# Load shedding (ingest/shedding.py): refuse with 503 a request that waited longer than this
# for a gunicorn thread. 0 turns it off.
INGEST_SHED_AFTER_SECONDS = _read("INGEST_SHED_AFTER_SECONDS", "float", default=1.0)
OVERLOAD_RETRY_AFTER = 2


def _positive_float(name: str, default: float) -> float:
    value = _read(name, "float", default=default)
    if value <= 0:
        raise ImproperlyConfigured(f"Environment variable {name} must be a positive number")
    return value


# Slow clients (bugtrack/gunicorn_classes.py): a request's head must arrive within this many
# seconds of its first byte, and its body within WEB_BODY_TIMEOUT of the head; else 408.
WEB_HEADER_TIMEOUT = _positive_float("WEB_HEADER_TIMEOUT", 10.0)
WEB_BODY_TIMEOUT = _positive_float("WEB_BODY_TIMEOUT", 30.0)

# Retention defaults; each project may override.
RETENTION_MAX_EVENTS = _positive_int("RETENTION_MAX_EVENTS", 10_000)
RETENTION_MAX_DAYS = _positive_int("RETENTION_MAX_DAYS", 90)

# Alerts.
ALERTS_MAX_PER_PROJECT_PER_HOUR = _positive_int("ALERTS_MAX_PER_PROJECT_PER_HOUR", 30)
# A sender's claim on the deliveries it is sending (email and channels), renewed while it
# sends: a dead sender's deliveries go to another one this long after its last renewal.
ALERTS_LEASE_SECONDS = _positive_int("ALERTS_LEASE_SECONDS", 30)

# Artifacts: source-map bundles uploaded by sentry-cli (docs/sourcemaps.md). Bytes unless named.
ARTIFACT_MAX_CHUNK_BYTES = _positive_int("ARTIFACT_MAX_CHUNK_BYTES", 8 * 1024 * 1024)
ARTIFACT_MAX_BUNDLE_BYTES = _positive_int("ARTIFACT_MAX_BUNDLE_BYTES", 64 * 1024 * 1024)
ARTIFACT_MAX_UNZIPPED_BYTES = _positive_int("ARTIFACT_MAX_UNZIPPED_BYTES", 256 * 1024 * 1024)
ARTIFACT_MAX_FILE_BYTES = _positive_int("ARTIFACT_MAX_FILE_BYTES", 32 * 1024 * 1024)
ARTIFACT_MAX_FILES = _positive_int("ARTIFACT_MAX_FILES", 5_000)
ARTIFACT_MAX_MAPPINGS = _positive_int("ARTIFACT_MAX_MAPPINGS", 5_000_000)
ARTIFACT_MAX_BUNDLES_PER_PROJECT = _positive_int("ARTIFACT_MAX_BUNDLES_PER_PROJECT", 200)
ARTIFACT_MAX_BYTES_PER_PROJECT = _positive_int("ARTIFACT_MAX_BYTES_PER_PROJECT", 1024**3)
# Debug information files (`sentry-cli debug-files upload`, docs/debug-files.md).
ARTIFACT_MAX_DEBUG_FILE_BYTES = _positive_int("ARTIFACT_MAX_DEBUG_FILE_BYTES", 64 * 1024 * 1024)
ARTIFACT_MAX_DEBUG_FILES_PER_PROJECT = _positive_int("ARTIFACT_MAX_DEBUG_FILES_PER_PROJECT", 1_000)
ARTIFACT_MAX_DEBUG_BYTES_PER_PROJECT = _positive_int(
    "ARTIFACT_MAX_DEBUG_BYTES_PER_PROJECT", 1024**3
)
# Parsed source maps kept per worker process (LRU by the maps' size).
ARTIFACT_CACHE_BYTES = _positive_int("ARTIFACT_CACHE_BYTES", 96 * 1024 * 1024)


def _networks(name: str) -> tuple[str, ...]:
    """Comma-separated CIDRs, each checked now so that a typo stops the start."""
    networks = []
    for item in _read(name, "list", default=[]):
        try:
            networks.append(str(ipaddress.ip_network(item.strip(), strict=False)))
        except ValueError as exc:
            raise ImproperlyConfigured(f"Environment variable {name} is invalid: {exc}") from exc
    return tuple(networks)


# Outbound HTTP (alert channels, core/outbound.py) refuses private, loopback, link-local, ...
# addresses unless they are inside one of these networks (e.g. "10.0.0.0/8" for an
# internal chat server).
ALERT_WEBHOOK_ALLOWED_NETWORKS = _networks("ALERT_WEBHOOK_ALLOWED_NETWORKS")
# The same for the OIDC provider (discovery, keys, token; accounts/oidc_discovery.py), which
# is also the only place plain http is accepted: e.g. "10.0.0.0/8" for an in-house
# Keycloak; the tests use "127.0.0.0/8".
OIDC_ALLOWED_NETWORKS = _networks("OIDC_ALLOWED_NETWORKS")

# Digest.
DIGEST_BATCH_SIZE = _positive_int("DIGEST_BATCH_SIZE", 500)

METRICS_TOKEN = _read("METRICS_TOKEN", "str", default="")
# prometheus_client opens its files there as soon as core.metrics is imported, which Django's
# checks do before `serve` could make the directory: make it now, or say plainly why not.
_metrics_dir = _read("PROMETHEUS_MULTIPROC_DIR", "str", default="")
if _metrics_dir:
    try:
        Path(_metrics_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"Environment variable PROMETHEUS_MULTIPROC_DIR: cannot create {_metrics_dir}: "
            f"{exc.strerror}"
        ) from None
SENTRY_DSN = _read("SENTRY_DSN", "str", default="")

# Readiness (/health/ready) fails past these: the digest is down or can't keep up.
HEALTH_MAX_QUEUE_DEPTH = _positive_int("HEALTH_MAX_QUEUE_DEPTH", 50_000)
HEALTH_MAX_QUEUE_AGE_SECONDS = _positive_int("HEALTH_MAX_QUEUE_AGE_SECONDS", 300)

# JSON lines on stdout, each with the request id, or text when stdout is a terminal;
# LOG_FORMAT=json|text decides when set. See core/logging.py.
from core.logging import log_format, logging_config  # noqa: E402  (stdlib + orjson; no Django)

LOG_FORMAT = log_format(_read("LOG_FORMAT", "str", default=""))
LOG_LEVEL = _read("LOG_LEVEL", "str", default="INFO").upper()
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("Environment variable LOG_FORMAT must be 'json' or 'text'")
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
