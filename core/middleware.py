"""Per-request context (request id, one access log line, latency by view) and the security
headers every page gets."""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.handlers.exception import response_for_exception
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from core import metrics
from core.logging import REQUEST_ID_HEADER, bind_request_id, loggable_path
from core.request_body import BodyNotReceived

logger = logging.getLogger("bugtrack.request")
Handler = Callable[[HttpRequest], HttpResponse]


def observed(request: HttpRequest, handler: Handler, view: str | None = None) -> HttpResponse:
    """Run `handler` with the request id bound, then log and time it.

    Used by RequestContextMiddleware and by the ingest shortcut, which skips the chain.
    """
    request_id = bind_request_id(request)
    started = time.perf_counter()
    status = 500
    try:
        try:
            response = handler(request)
        except BodyNotReceived as exc:  # answered by request_body.guard, logged here
            status = exc.status
            raise
        except Exception as exc:
            # Handle it here, while the request id (and the self-monitoring scope) are bound.
            response = response_for_exception(request, exc)
        status = response.status_code
        response[REQUEST_ID_HEADER] = request_id
        return response
    finally:
        seconds = time.perf_counter() - started
        name = view or _view_name(request)
        metrics.observe_request(name, request.method or "", status, seconds)
        # Path only: query strings can carry DSN keys (`?sentry_key=`) or tokens; and the
        # route instead of the path for reset and invitation links.
        path = loggable_path(request)
        logger.info(
            "%s %s %s",
            request.method,
            path,
            status,
            extra={
                "method": request.method,
                "path": path[:300],
                "status": status,
                "view": name,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
        # The id stays bound until request_finished (ops.apps), so Django's own response
        # logging, which runs after the middleware, carries it too.


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name
    # whitenoise answers before URL resolution; keep the label set small either way.
    return "static" if request.path.startswith(settings.STATIC_URL) else "unmatched"


class RequestContextMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return observed(request, self.get_response)


NUL_DETAIL = "The request contains a NUL character."


class RejectNulMiddleware:
    """400 for a NUL in the path, the query string or a form field.

    PostgreSQL text cannot hold NUL, so any such value that reaches a query is a 500; this
    answers before a view runs, for every view. The API gets its usual JSON `detail`."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": NUL_DETAIL}, status=400)
            return HttpResponseBadRequest(NUL_DETAIL, content_type="text/plain")
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path_info:
        return True
    query = request.META.get("QUERY_STRING", "")
    if "%00" in query or "\x00" in query:
        return True
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        return any("\x00" in k or "\x00" in v for k, vs in request.POST.lists() for v in vs)
    return False


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """Strict CSP (no inline scripts anywhere) and the usual hardening headers."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("X-Content-Type-Options", "nosniff")
        response.setdefault("Referrer-Policy", "same-origin")
        response.setdefault("X-Frame-Options", "DENY")
        return response
