"""Structured logs: one JSON object per line on stdout, each carrying the request id.

Or human-readable lines when stdout is a terminal; LOG_FORMAT (json|text) decides when set.

The request id comes from `X-Request-ID` (if sane) or is generated, lives in a contextvar for
the duration of a request (or of a digested event in the worker), and is echoed back in the
response header. Nothing here imports Django models: gunicorn's config uses it before setup.
"""

import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

REQUEST_ID_HEADER = "X-Request-ID"
_request_id: ContextVar[str] = ContextVar("request_id", default="")
# Accept a client-supplied id only if it is short and plain, so it can't forge log content.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

# The attributes every LogRecord has; anything else was passed through `extra=`.
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "request",
}
_PLAIN = (str, int, float, bool, type(None))


def current_request_id() -> str:
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def bind_request_id(request: Any) -> str:
    """Give this request its id (once) and make it current; safe to call more than once.

    The ingest view calls it to store the id on the IntakeEvent it writes.
    """
    existing = getattr(request, "request_id", "")
    if existing:
        _request_id.set(existing)
        return existing
    supplied = request.META.get("HTTP_X_REQUEST_ID", "")
    request_id = supplied if _SANE_ID.match(supplied) else new_request_id()
    request.request_id = request_id
    _request_id.set(request_id)
    return request_id


def clear_request_id() -> None:
    _request_id.set("")


@contextmanager
def request_context(request_id: str) -> Iterator[None]:
    """Make `request_id` current for a block, e.g. while the worker digests one event."""
    token = _request_id.set(request_id or "")
    try:
        yield
    finally:
        _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Stamp each record with the current request id unless `extra=` already gave one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = _request_id.get()
        return True


# URL kwargs with these names are secrets (reset and invitation links): logs show the route.
SECRET_URL_KWARGS = frozenset({"token", "uidb64"})


def loggable_path(request: Any) -> str:
    """The request's path, or its route (`accounts/invite/<token>/`) if the URL holds a secret."""
    match = getattr(request, "resolver_match", None)
    if match is not None and SECRET_URL_KWARGS & set(match.kwargs):
        return "/" + match.route
    return request.path


class SecretPathFilter(logging.Filter):
    """For records that carry the request (Django's own 4xx/5xx lines): path -> route."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is None or not isinstance(record.args, tuple):
            return True
        safe = loggable_path(request)
        if safe != request.path:
            raw = (request.path, request.path.encode("unicode_escape").decode("ascii"))
            record.args = tuple(safe if arg in raw else arg for arg in record.args)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "") or _request_id.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            # Only plain values: objects such as Django's `request` would leak query strings.
            if key not in _RESERVED and not key.startswith("_") and isinstance(value, _PLAIN):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """Human-readable lines for local runs (stdout a terminal, or LOG_FORMAT=text)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not getattr(record, "request_id", ""):
            record.request_id = _request_id.get() or "-"
        return super().format(record)


def log_format(configured: str = "", stream: Any = None) -> str:
    """`configured` (LOG_FORMAT) if set; else "text" when the stream (stdout) is a terminal,
    where a person reads it, and "json" otherwise: a file, a pipe, a log collector."""
    if configured:
        return configured
    stream = sys.stdout if stream is None else stream
    try:
        return "text" if stream.isatty() else "json"
    except (AttributeError, ValueError):  # no stdout, or a closed one
        return "json"


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """The dictConfig for Django (settings.LOGGING) and gunicorn (logconfig_dict)."""
    formatter = (
        "core.logging.JsonFormatter" if log_format == "json" else "core.logging.TextFormatter"
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "core.logging.RequestIdFilter"},
            "secret_paths": {"()": "core.logging.SecretPathFilter"},
        },
        "formatters": {"default": {"()": formatter}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # gunicorn's own loggers: same format, same stream, no duplicate handlers.
            "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            # Django already logs 4xx/5xx on django.request; our access line covers the rest.
            "django.server": {"level": "WARNING", "filters": ["secret_paths"]},
            # "Not Found: /accounts/invite/<token>/": the route, never the token.
            "django.request": {"filters": ["secret_paths"]},
        },
    }
