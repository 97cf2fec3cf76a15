"""The WSGI entry point for SDK traffic: ingest URLs skip Django's request handler.

Django's handler sends request_started and request_finished (each runs
close_old_connections over every database alias), builds the middleware chain and its
exception wrappers, and resolves the URL. Ingest needs none of it, and skipping it is a
measurable part of the CPU per ingest request (bench/ingest_cpu.py; figures in
docs/performance.md, "Web tier"). Everything else goes to Django unchanged.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.db import connection
from django.http import HttpResponse

from core import metrics
from core.logging import clear_request_id
from ingest import responses, shedding
from ingest.errors import Overloaded
from ingest.middleware import INGEST_PATH

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class IngestFirst:
    def __init__(self, django_app: WSGIApp) -> None:
        self.django_app = django_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        match = INGEST_PATH.match(environ.get("PATH_INFO") or "/")
        if match is None:
            return self.django_app(environ, start_response)
        from ingest.views import serve

        shed_after = settings.INGEST_SHED_AFTER_SECONDS
        if shed_after and shedding.queue_wait() > shed_after:
            metrics.event_rejected("overload")
            return self._answer(overloaded_response(), start_response)
        try:
            response = serve(WSGIRequest(environ), int(match["project_id"]), match["endpoint"])
        finally:
            # What request_finished would do for this request: drop a connection that broke
            # or outlived CONN_MAX_AGE, and unbind the request id.
            connection.close_if_unusable_or_obsolete()
            clear_request_id()
        return self._answer(response, start_response)

    @staticmethod
    def _answer(response: HttpResponse, start_response: Callable[..., Any]) -> list[bytes]:
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return [response.content]


def overloaded_response() -> HttpResponse:
    """Before the body is read, the key checked or the database touched: refusing must stay
    much cheaper than accepting, or shedding would not free any capacity. Our gunicorn
    worker sends the same answer from its main thread, before a thread is taken."""
    error = Overloaded("server overloaded, try again later", settings.OVERLOAD_RETRY_AFTER)
    return responses.with_cors(responses.error(error))
