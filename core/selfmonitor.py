"""Bugtrack reporting its own errors (SENTRY_DSN), without ever feeding on itself.

The loop to avoid: our SDK reports an error to a Bugtrack (maybe this one), ingesting that
report fails, the failure is reported, and so on. Two guards break it after one hop:
- requests from our own SDK are recognised (a marker header our transport adds, or the
  public key of our own SENTRY_DSN), and errors raised while ingesting them are dropped;
- code that handles our own events elsewhere (the digest) can wrap it in `suppressed()`.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import HttpRequest

from core.request_body import BodyNotReceived

SELF_HEADER = "X-Bugtrack-Self-Report"
SELF_META = "HTTP_X_BUGTRACK_SELF_REPORT"
_suppress: ContextVar[bool] = ContextVar("selfmonitor_suppress", default=False)
logger = logging.getLogger(__name__)


def own_public_key() -> str:
    """The public key of SENTRY_DSN, or "" when self-monitoring is off."""
    return urlsplit(settings.SENTRY_DSN).username or "" if settings.SENTRY_DSN else ""


def _sentry_key(request: HttpRequest) -> str:
    auth = request.headers.get("X-Sentry-Auth", "") or request.headers.get("Authorization", "")
    for part in auth.replace("Sentry ", "", 1).split(","):
        name, _, value = part.strip().partition("=")
        if name == "sentry_key":
            return value.strip()
    return (parse_qs(request.META.get("QUERY_STRING", "")).get("sentry_key") or [""])[0]


def is_self_report(request: HttpRequest) -> bool:
    """True for requests sent by a Bugtrack's own SDK (this one's or another instance's)."""
    if request.META.get(SELF_META):  # META, not request.headers: ingest calls this per event
        return True
    own = own_public_key()
    return bool(own) and _sentry_key(request) == own


@contextmanager
def suppressed(active: bool = True) -> Iterator[None]:
    """Errors raised inside the block are never sent to SENTRY_DSN."""
    token = _suppress.set(active or _suppress.get())
    try:
        yield
    finally:
        _suppress.reset(token)


@contextmanager
def ingest_scope(request: HttpRequest) -> Iterator[None]:
    """Around the ingest view: failures on our own reports are not reported again."""
    with suppressed(is_self_report(request)):
        yield


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    if _suppress.get():
        return None
    return event


def _transport_class() -> Any:
    """sentry-sdk's HTTP transport, plus a header that marks our reports as ours."""
    from sentry_sdk.transport import HttpTransport

    class SelfMarkingTransport(HttpTransport):
        def _update_headers(self, headers: dict[str, str]) -> None:
            super()._update_headers(headers)
            headers[SELF_HEADER] = "1"

    # _update_headers is not public API; without it only the own-key check guards the loop.
    return SelfMarkingTransport if hasattr(HttpTransport, "_update_headers") else None


def init() -> bool:
    """Start self-monitoring if SENTRY_DSN is set. Called once per process from ops.apps."""
    if not settings.SENTRY_DSN:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    options: dict[str, Any] = {
        "dsn": settings.SENTRY_DSN,
        "integrations": [DjangoIntegration()],
        "before_send": before_send,
        # A client's stalled body is answered 408 by core.request_body, not our error.
        "ignore_errors": [BodyNotReceived],
        # Never ship request bodies (they are other people's events) or personal data.
        "send_default_pii": False,
        "max_request_body_size": "never",
        "environment": "production" if settings.PRODUCTION else "development",
    }
    transport = _transport_class()
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(**options)
    logger.debug("self-monitoring enabled")
    return True
