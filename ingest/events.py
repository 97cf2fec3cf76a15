"""Turn item payloads into what we queue: checked event JSON, event ids, client reports."""

import base64
import binascii
import json
import uuid

import orjson

from core.event_ids import normalize_event_id
from ingest.decompress import decompress_bytes
from ingest.errors import BadRequest, TooLarge
from ingest.queue import ReportCounts

MAX_REPORT_QUANTITY = 1 << 40
MAX_LABEL = 64


def choose_event_id(header_id: object, event: dict) -> str:
    """The envelope header's event_id wins; then the event's own; else a new one.

    A malformed id is refused (400), not replaced: the SDK would otherwise report an id
    that matches nothing we stored.
    """
    for source, value in (("envelope header", header_id), ("event", event.get("event_id"))):
        if value is None:
            continue
        event_id = normalize_event_id(value)
        if event_id is None:
            raise BadRequest(f"{source} event_id is not a uuid")
        return event_id
    return uuid.uuid4().hex


def load_event(payload: bytes) -> tuple[dict, bytes]:
    """The event as a dict, plus the bytes to queue (as sent, unless they needed repair)."""
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError:
        event, payload = _load_lenient(payload)
    if not isinstance(event, dict):
        raise BadRequest("event is not a JSON object")
    return event, payload


def _load_lenient(payload: bytes) -> tuple[object, bytes]:
    """Browser SDKs can truncate strings mid-surrogate-pair: orjson refuses those escapes.
    Parse with the stdlib, replace lone surrogates, and queue the repaired JSON instead."""
    try:
        value = json.loads(payload.decode("utf-8"))
        return value, orjson.dumps(_scrub(value))
    except (ValueError, RecursionError, orjson.JSONEncodeError) as exc:
        raise BadRequest(f"event is not valid JSON: {exc}") from exc


def _scrub(value: object) -> object:
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    return value


def store_body_to_json(body: bytes, limit: int) -> bytes:
    """Legacy store bodies: JSON, or base64 and/or zlib around JSON (old SDKs)."""
    data = body
    if data[:1] != b"\x78":  # not a zlib header: JSON or base64 text, where whitespace is noise
        data = data.strip()  # (never strip zlib bytes: they may end in a whitespace byte)
        if data[:1] in (b"{", b"["):
            return data
        try:
            data = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest("store body is neither JSON, base64 nor zlib") from exc
    if data[:1] == b"\x78":
        data = decompress_bytes(data, "deflate", limit)
    if len(data) > limit:
        raise TooLarge(f"event is larger than {limit} bytes")
    return data


def client_report_counts(payload: bytes) -> ReportCounts:
    """Sum discarded_events by (reason, category); anything malformed is quietly ignored."""
    counts: ReportCounts = {}
    try:
        report = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return counts
    entries = report.get("discarded_events") if isinstance(report, dict) else None
    if not isinstance(entries, list):
        return counts
    for entry in entries[:1000]:
        if not isinstance(entry, dict):
            continue
        reason, category, quantity = (entry.get(k) for k in ("reason", "category", "quantity"))
        if not (isinstance(reason, str) and isinstance(category, str)):
            continue
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            continue
        key = (_label(reason), _label(category))
        counts[key] = min(counts.get(key, 0) + quantity, MAX_REPORT_QUANTITY)
    return counts


def _label(value: str) -> str:
    # PostgreSQL text cannot hold NUL; keep labels short and printable.
    return value.replace("\x00", "")[:MAX_LABEL]
