"""The SDK endpoints: POST /api/<project_id>/envelope/ and the legacy /store/.

Reached through ingest.wsgi (gunicorn) or IngestShortcutMiddleware (anything else that
calls Django's handler), so no session, auth or CSRF work happens.
"""

import logging
from datetime import UTC, datetime

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from core import metrics
from core.logging import bind_request_id
from core.middleware import observed
from core.outage import OutageLog
from core.selfmonitor import ingest_scope
from ingest import queue, ratelimit, responses
from ingest.auth import KeyInfo, authenticate, key_from_dsn, key_from_request
from ingest.decompress import decoded_chunks, raw_chunks
from ingest.envelope import ChunkReader, read_envelope_header, read_items
from ingest.errors import (
    BadRequest,
    Forbidden,
    IngestError,
    MethodNotAllowed,
    RateLimited,
    TooLarge,
    Unauthorized,
    Unavailable,
)
from ingest.events import choose_event_id, client_report_counts, load_event, store_body_to_json

logger = logging.getLogger(__name__)
# An outage refuses every request: one traceback for it, then a line per request.
database = OutageLog(logger, "ingest")


def serve(request: HttpRequest, project_id: int, endpoint: str) -> HttpResponse:
    """The whole ingest answer. No middleware chain runs around it, so request id,
    access log, latency metrics and the self-monitoring guard are applied here."""
    with ingest_scope(request):
        return observed(
            request, lambda r: ingest(r, project_id, endpoint), view=f"ingest:{endpoint}"
        )


def ingest(request: HttpRequest, project_id: int, endpoint: str) -> HttpResponse:
    if request.method == "OPTIONS":
        return responses.with_cors(responses.preflight(request))
    try:
        response = handle(request, project_id, endpoint)
        database.succeeded()
    except IngestError as exc:
        metrics.event_rejected(_reject_reason(exc))
        response = responses.error(exc)
    except DatabaseError as exc:
        database.failed(exc, "answered 503")
        metrics.event_rejected("unavailable")
        response = responses.error(Unavailable("database unavailable, try again later"))
    except Exception:  # never a 500 for what a client sends; the log keeps the bug visible
        logger.exception("ingest: unexpected error")
        metrics.event_rejected("malformed")
        response = responses.error(BadRequest("could not process request"))
    return responses.with_cors(response)


def handle(request: HttpRequest, project_id: int, endpoint: str) -> HttpResponse:
    if request.method != "POST":
        raise MethodNotAllowed("only POST is allowed here")
    now = ratelimit.limiter.clock()  # one reading: the rate-limit minute is received_at's
    received_at = datetime.fromtimestamp(now, UTC)
    # Reject bad keys and a full queue before reading a byte of the body when we can.
    is_store = endpoint == "store"
    key = key_from_request(request)
    info = _admit(key, project_id, now) if key or is_store else None
    limit = settings.INGEST_MAX_EVENT_BYTES if is_store else settings.INGEST_MAX_ENVELOPE_BYTES
    chunks = decoded_chunks(
        raw_chunks(
            request.META["wsgi.input"],  # WSGIRequest.META is the WSGI environ
            _content_length(request),
            settings.INGEST_MAX_COMPRESSED_BYTES,
        ),
        request.META.get("HTTP_CONTENT_ENCODING", ""),
        limit,
    )
    event: queue.QueuedEvent | None = None
    reports: queue.ReportCounts = {}
    if is_store:
        payload = store_body_to_json(b"".join(chunks), settings.INGEST_MAX_EVENT_BYTES)
        event = _queued_event(payload, header_event_id=None)
    else:
        reader = ChunkReader(chunks)
        header = read_envelope_header(reader)
        info = info or _admit(key_from_dsn(header.get("dsn")), project_id, now)
        for item in read_items(reader, settings.INGEST_MAX_EVENT_BYTES):
            if item.type == "event":
                if event is not None:
                    raise BadRequest("envelope has more than one event item")
                event = _queued_event(item.payload or b"", header.get("event_id"))
            elif item.type == "client_report":
                for k, n in client_report_counts(item.payload or b"").items():
                    reports[k] = reports.get(k, 0) + n
            # Other item types (transactions, sessions, attachments, ...) are dropped.
    assert info is not None  # both branches admitted the key
    rate_limit = info.rate_limit_per_minute or settings.INGEST_EVENTS_PER_MINUTE
    # The same id as the response header and log lines; the worker logs with it too.
    request_id = bind_request_id(request)
    queue.commit(project_id, event, reports, rate_limit, received_at, request_id)
    if event is not None:
        metrics.event_accepted()
    return responses.accepted(event.event_id if event else None)


def _admit(key: str | None, project_id: int, now: float) -> KeyInfo:
    info = authenticate(key, project_id)
    ratelimit.check_queue(now)
    return info


def _queued_event(payload: bytes, header_event_id: object) -> queue.QueuedEvent:
    event, payload = load_event(payload)
    return queue.QueuedEvent(choose_event_id(header_event_id, event), payload)


def _content_length(request: HttpRequest) -> int | None:
    value = request.META.get("CONTENT_LENGTH", "")
    if value in ("", None):
        return None
    try:
        length = int(value)
    except ValueError:
        raise BadRequest("Content-Length is not a number") from None
    if length < 0:
        raise BadRequest("Content-Length is negative")
    return length


def _reject_reason(exc: IngestError) -> str:
    """The `reason` label of bugtrack_events_rejected_total for an ingest error."""
    if isinstance(exc, Unauthorized | Forbidden):
        return "auth"
    if isinstance(exc, TooLarge):
        return "size"
    if isinstance(exc, RateLimited):
        return "rate_limit" if exc.scope == "project" else "backpressure"
    if isinstance(exc, Unavailable):
        return "unavailable"
    return "malformed"
