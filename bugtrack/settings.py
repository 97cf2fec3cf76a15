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


def _secret_key() -> str:
    key = _read("SECRET_KEY", "str", default="")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("Environment variable SECRET_KEY is required when PRODUCTION=1")
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
if _read("BEHIND_PROXY", "bool", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

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

# Digest.
DIGEST_BATCH_SIZE = _positive_int("DIGEST_BATCH_SIZE", 500)

METRICS_TOKEN = _read("METRICS_TOKEN", "str", default="")
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
