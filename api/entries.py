"""A normalized event payload as Sentry's API `entries` list (camelCase frames, [k, v] pairs).

Payloads come from SDKs: every value may have any shape, so each reader checks its types and
drops what it cannot use instead of failing.
"""

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

Json = dict[str, Any]


def as_dict(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return value if isinstance(value, str) else str(value)


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 19:
        return int(value)
    return None


def values_of(container: Any) -> list:
    """`{"values": [...]}`, a bare list, or one object: the SDKs send all three."""
    if isinstance(container, dict):
        return as_list(container.get("values")) if "values" in container else [container]
    return as_list(container)


def iso(value: Any) -> str | None:
    """A float epoch or an ISO string as ISO 8601 in UTC with a Z."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")
        except (OverflowError, OSError, ValueError):
            return None
    return value if isinstance(value, str) else None


def pairs(value: Any) -> list[list[str | None]]:
    """Headers, cookies, query strings as Sentry's sorted [key, value] list."""
    if isinstance(value, dict):
        items = [(k, v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [tuple(p) for p in value if isinstance(p, (list, tuple)) and len(p) == 2]
    elif isinstance(value, str):
        items = parse_qsl(value.lstrip("?"), keep_blank_values=True)
    else:
        items = []
    return [[as_str(k), _joined(v)] for k, v in items if as_str(k) is not None]


def _joined(value: Any) -> str | None:
    """A repeated header sent as a list (.NET does) reads as HTTP folds it: comma-separated."""
    if isinstance(value, list):
        parts = [as_str(v) for v in value]
        return ", ".join(p for p in parts if p is not None)
    return as_str(value)


def cookie_pairs(value: Any) -> list[list[str | None]]:
    if isinstance(value, str):
        items = (part.strip().partition("=") for part in value.split(";") if part.strip())
        return [[k, v] for k, _, v in items]
    return pairs(value)


def frame(raw: Any) -> Json | None:
    if not isinstance(raw, dict):
        return None
    lineno = as_int(raw.get("lineno"))
    context: list[list] = []
    line = as_str(raw.get("context_line"))
    if lineno is not None and line is not None:
        pre = [as_str(x) for x in as_list(raw.get("pre_context"))]
        post = [as_str(x) for x in as_list(raw.get("post_context"))]
        context = (
            [[lineno - len(pre) + i, text] for i, text in enumerate(pre)]
            + [[lineno, line]]
            + [[lineno + 1 + i, text] for i, text in enumerate(post)]
        )
    in_app = raw.get("in_app")
    return {
        "filename": as_str(raw.get("filename")),
        "absPath": as_str(raw.get("abs_path")),
        "module": as_str(raw.get("module")),
        "package": as_str(raw.get("package")),
        "platform": as_str(raw.get("platform")),
        "instructionAddr": as_str(raw.get("instruction_addr")),
        "symbolAddr": as_str(raw.get("symbol_addr")),
        "function": as_str(raw.get("function")),
        "rawFunction": as_str(raw.get("raw_function")),
        "symbol": as_str(raw.get("symbol")),
        "context": context,
        "lineNo": lineno,
        "colNo": as_int(raw.get("colno")),
        "inApp": in_app if isinstance(in_app, bool) else None,
        "trust": as_str(raw.get("trust")),
        "errors": _frame_errors(raw),
        "data": raw.get("data") if isinstance(raw.get("data"), dict) else None,
        "lock": None,
        "sourceLink": None,
        "vars": raw.get("vars") if isinstance(raw.get("vars"), dict) else None,
    }


def _frame_errors(raw: Json) -> list[Json] | None:
    """A frame's source-map problem in Sentry's processing-error shape."""
    kind = as_str(as_dict(raw.get("data")).get("sourcemap_error"))
    return (
        [
            {
                "type": f"js_{kind}",
                "data": {"url": as_str(raw.get("abs_path") or raw.get("filename"))},
            }
        ]
        if kind
        else None
    )


def stacktrace(raw: Any) -> Json | None:
    if not isinstance(raw, dict):
        return None
    frames = [f for f in map(frame, as_list(raw.get("frames"))) if f is not None]
    return {
        "frames": frames,
        "framesOmitted": None,
        "registers": raw.get("registers") if isinstance(raw.get("registers"), dict) else None,
        "hasSystemFrames": any(f["inApp"] is False for f in frames),
    }


def exception_entry(payload: Json) -> Json | None:
    values = []
    for raw in values_of(payload.get("exception")):
        if not isinstance(raw, dict):
            continue
        values.append(
            {
                "type": as_str(raw.get("type")),
                "value": as_str(raw.get("value")),
                "module": as_str(raw.get("module")),
                "mechanism": raw.get("mechanism")
                if isinstance(raw.get("mechanism"), dict)
                else None,
                "threadId": as_str(raw.get("thread_id")),
                "stacktrace": stacktrace(raw.get("stacktrace")),
                "rawStacktrace": stacktrace(raw["raw_stacktrace"])
                if isinstance(raw.get("raw_stacktrace"), dict)
                else None,
            }
        )
    if not values:
        return None
    has_system = any(
        isinstance(v["stacktrace"], dict) and v["stacktrace"].get("hasSystemFrames") for v in values
    )
    return {
        "type": "exception",
        "data": {"values": values, "excOmitted": None, "hasSystemFrames": has_system},
    }


def logentry(payload: Json) -> Json | None:
    """The event's log message as {message, formatted, params}, whichever field carries it."""
    for key in ("logentry", "message"):
        raw = payload.get(key)
        if isinstance(raw, str) and raw:
            return {"message": raw, "formatted": raw, "params": None}
        if isinstance(raw, dict) and (raw.get("formatted") or raw.get("message")):
            message = as_str(raw.get("message"))
            formatted = as_str(raw.get("formatted")) or message
            params = raw.get("params") if isinstance(raw.get("params"), (list, dict)) else None
            return {"message": message, "formatted": formatted, "params": params}
    return None


def message_entry(payload: Json) -> Json | None:
    entry = logentry(payload)
    return {"type": "message", "data": entry} if entry else None


def breadcrumbs_entry(payload: Json) -> Json | None:
    values = []
    for raw in values_of(payload.get("breadcrumbs")):
        if not isinstance(raw, dict):
            continue
        values.append(
            {
                "type": as_str(raw.get("type")) or "default",
                "timestamp": iso(raw.get("timestamp")),
                "level": as_str(raw.get("level")) or "info",
                "message": as_str(raw.get("message")),
                "category": as_str(raw.get("category")),
                "data": raw.get("data") if isinstance(raw.get("data"), dict) else None,
                "event_id": as_str(raw.get("event_id")),
            }
        )
    return {"type": "breadcrumbs", "data": {"values": values}} if values else None


def request_entry(payload: Json) -> Json | None:
    raw = payload.get("request")
    if not isinstance(raw, dict) or not raw:
        return None
    data = {
        "url": as_str(raw.get("url")),
        "method": as_str(raw.get("method")),
        "query": pairs(raw.get("query_string")),
        "fragment": as_str(raw.get("fragment")),
        "data": raw.get("data"),
        "headers": pairs(raw.get("headers")),
        "cookies": cookie_pairs(raw.get("cookies")),
        "env": raw.get("env") if isinstance(raw.get("env"), dict) else None,
        "inferredContentType": None,
        "apiTarget": None,
    }
    return {"type": "request", "data": data}


def threads_entry(payload: Json) -> Json | None:
    values = []
    for raw in values_of(payload.get("threads")):
        if not isinstance(raw, dict):
            continue
        values.append(
            {
                "id": raw.get("id") if isinstance(raw.get("id"), (int, str)) else None,
                "name": as_str(raw.get("name")),
                "current": raw.get("current") is True,
                "crashed": raw.get("crashed") is True,
                "state": as_str(raw.get("state")),
                "stacktrace": stacktrace(raw.get("stacktrace")),
                "rawStacktrace": stacktrace(raw["raw_stacktrace"])
                if isinstance(raw.get("raw_stacktrace"), dict)
                else None,
            }
        )
    return {"type": "threads", "data": {"values": values}} if values else None


def stacktrace_entry(payload: Json) -> Json | None:
    """A top-level stacktrace, which old SDKs send instead of an exception's."""
    data = stacktrace(payload.get("stacktrace"))
    return {"type": "stacktrace", "data": data} if data and data["frames"] else None


READERS = (
    message_entry,
    exception_entry,
    stacktrace_entry,
    threads_entry,
    breadcrumbs_entry,
    request_entry,
)


def entries(payload: Json) -> list[Json]:
    return [entry for read in READERS if (entry := read(payload)) is not None]
