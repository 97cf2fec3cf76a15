"""Ingest answers: always a JSON body, CORS for browser SDKs, Sentry's rate-limit headers."""

import re

import orjson
from django.http import HttpRequest, HttpResponse

from ingest.errors import IngestError, Overloaded, RateLimited, Unavailable

EXPOSED_HEADERS = "X-Sentry-Rate-Limits, X-Sentry-Error, Retry-After"
DEFAULT_ALLOWED_HEADERS = (
    "X-Sentry-Auth, X-Requested-With, Origin, Accept, Content-Type, Content-Encoding, "
    "Authorization, sentry-trace, baggage"
)
# Echo what the browser asks for, but only if it looks like a list of header names.
_HEADER_LIST = re.compile(r"^[A-Za-z0-9\-_, ]{1,1000}$")


def _json(data: dict, status: int) -> HttpResponse:
    body = orjson.dumps(data)
    response = HttpResponse(body, status=status, content_type="application/json")
    # We skip CommonMiddleware; without a length gunicorn would chunk every tiny answer.
    response["Content-Length"] = str(len(body))
    return response


def accepted(event_id: str | None) -> HttpResponse:
    return _json({"id": event_id} if event_id else {}, 200)


def error(exc: IngestError) -> HttpResponse:
    response = _json({"detail": exc.detail}, exc.status)
    # Header values must stay on one line and in latin-1; details are ours, but be safe.
    response["X-Sentry-Error"] = exc.detail.encode("ascii", "replace").decode()[:200]
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
        response["X-Sentry-Rate-Limits"] = f"{exc.retry_after}:error:{exc.scope}"
    elif isinstance(exc, Overloaded):
        response["Retry-After"] = str(exc.retry_after)
        # SDKs pause on this header whatever the status; the pause is what relieves us.
        response["X-Sentry-Rate-Limits"] = f"{exc.retry_after}::organization"
    elif isinstance(exc, Unavailable):
        response["Retry-After"] = str(exc.retry_after)
    return response


def preflight(request: HttpRequest) -> HttpResponse:
    response = _json({}, 200)
    asked = request.headers.get("Access-Control-Request-Headers", "")
    allowed = asked if _HEADER_LIST.match(asked) else DEFAULT_ALLOWED_HEADERS
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = allowed
    response["Access-Control-Max-Age"] = "3600"
    return response


def with_cors(response: HttpResponse) -> HttpResponse:
    # SDKs never send credentials, so a wildcard origin is enough and safe.
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response
