"""Turn what an SDK sent into Sentry's canonical event shape (the contract in the brief).

SDKs disagree on shapes; this module is where that stops. Everything here treats the input
as untrusted: wrong types are dropped or coerced, never trusted, and nothing raises except
`NormalizationError` for input that is not an event at all.
"""

import re
from datetime import UTC, datetime
from typing import Any

import orjson

MAX_STRING = 8192  # long strings are cut: they would bloat every page that shows them
MAX_TAG_KEY = 200
MAX_TAG_VALUE = 250

Event = dict[str, Any]


class NormalizationError(ValueError):
    """The payload is not a usable event (not JSON, not an object)."""


def parse(raw: bytes | memoryview | str) -> Event:
    raw = raw.encode() if isinstance(raw, str) else bytes(raw)
    if b"\\u0000" in raw:  # PostgreSQL text and jsonb cannot hold NUL characters
        raw = raw.replace(b"\\u0000", b"\\ufffd")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise NormalizationError(f"payload is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise NormalizationError(f"payload is a JSON {type(data).__name__}, not an object")
    return data


def normalize(data: Event, event_id: str, received_at: datetime) -> Event:
    """The canonical event for `data`; `event_id` and `received_at` come from the intake row."""
    out: Event = {"event_id": event_id}
    out["timestamp"] = _timestamp(data.get("timestamp"), received_at)
    out["received"] = received_at.timestamp()
    out["level"] = _level(data.get("level"))
    out["platform"] = _short(data.get("platform"), 64) or "other"
    for key in ("logger", "release", "dist", "environment", "transaction", "server_name",
                "culprit"):  # fmt: skip
        value = _scalar_str(data.get(key), 250)
        if value:
            out[key] = value
    logentry = _logentry(data.get("logentry"), data.get("message"))
    if logentry:
        out["logentry"] = logentry
        out["message"] = logentry.get("formatted") or logentry.get("message") or ""
    exception = _values(data.get("exception"))
    if exception:
        out["exception"] = {"values": [_exception(v) for v in exception if isinstance(v, dict)]}
    stacktrace = _stacktrace(data.get("stacktrace"))
    if stacktrace:
        out["stacktrace"] = stacktrace
    threads = _values(data.get("threads"))
    if threads:
        out["threads"] = {"values": [_thread(t) for t in threads if isinstance(t, dict)]}
    breadcrumbs = _values(data.get("breadcrumbs"))
    if breadcrumbs:
        out["breadcrumbs"] = {"values": [b for b in breadcrumbs if isinstance(b, dict)]}
    tags = _tags(data.get("tags"))
    if tags:
        out["tags"] = tags
    for key in ("contexts", "request", "sdk", "modules", "extra", "debug_meta"):
        if isinstance(data.get(key), dict):
            out[key] = data[key]
    user = _user(data.get("user"))
    if user:
        out["user"] = user
    fingerprint = _fingerprint(data.get("fingerprint"))
    if fingerprint:
        out["fingerprint"] = fingerprint
    return out


def fallback(raw: bytes | memoryview | str, event_id: str, received_at: datetime) -> Event:
    """What we store for an event we could not normalize: ids, times and the raw text."""
    text = bytes(raw).decode("utf-8", "replace") if not isinstance(raw, str) else raw
    return {
        "event_id": event_id,
        "timestamp": received_at.timestamp(),
        "received": received_at.timestamp(),
        "level": "error",
        "platform": "other",
        "extra": {"raw_payload": text[:MAX_STRING]},
    }


def _short(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _scalar_str(value: object, limit: int = MAX_STRING) -> str:
    """Strings as-is, numbers and booleans as text; anything else is dropped."""
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)[:limit]
    return ""


def _timestamp(value: object, received_at: datetime) -> float:
    """Epoch seconds; naive ISO is UTC; missing, bad or far-future values become receipt time."""
    received = received_at.timestamp()
    ts: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        ts = float(value)
    elif isinstance(value, str):
        try:
            ts = float(value)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(_trim_fraction(value.strip()))
            except ValueError:
                parsed = None
            if parsed is not None:
                if parsed.tzinfo is None:
                    parsed = parsed.replace(tzinfo=UTC)
                ts = parsed.timestamp()
    if ts is None or ts != ts or ts <= 0 or ts > received + 60:
        return received
    return ts


def _trim_fraction(value: str) -> str:
    """fromisoformat takes at most 6 fractional digits; Go sends nanoseconds."""
    value = value.replace("Z", "+00:00").replace("z", "+00:00")
    return re.sub(r"(\.\d{6})\d+", r"\1", value)


_LEVELS = {"fatal", "error", "warning", "info", "debug"}


def _level(value: object) -> str:
    level = value.lower() if isinstance(value, str) else ""
    if level == "warn":
        return "warning"
    if level == "critical":
        return "fatal"
    return level if level in _LEVELS else "error"


def _logentry(logentry: object, message: object) -> dict[str, Any]:
    """`logentry` object or string, or a top-level `message` (string or object)."""
    for candidate in (logentry, message):
        if isinstance(candidate, str) and candidate:
            return {"message": candidate[:MAX_STRING], "formatted": candidate[:MAX_STRING]}
        if isinstance(candidate, dict):
            template = _scalar_str(candidate.get("message"))
            formatted = _scalar_str(candidate.get("formatted"))
            if not template and not formatted:
                continue
            params = candidate.get("params")
            entry: dict[str, Any] = {
                "message": template or formatted,
                "formatted": formatted or _format(template, params),
            }
            if isinstance(params, list | dict) and params:
                entry["params"] = params
            return entry
    return {}


def _format(template: str, params: object) -> str:
    """Best-effort %-formatting of a log template; on any mismatch, the template itself."""
    if not params:
        return template
    try:
        args = params if isinstance(params, dict) else tuple(params)  # type: ignore[arg-type]
        return (template % args)[:MAX_STRING]
    except Exception:  # untrusted template and arguments: any failure means "don't format"
        return template


def _values(container: object) -> list[Any]:
    """`{"values": [...]}`, a bare list, or a single object -> a list."""
    if isinstance(container, dict):
        values = container.get("values")
        if isinstance(values, list):
            return values
        if "values" in container:
            return []
        return [container]
    if isinstance(container, list):
        return container
    return []


def _exception(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": _scalar_str(value.get("type"), 250),
        "value": _scalar_str(value.get("value")),
    }
    module = _scalar_str(value.get("module"), 250)
    if module:
        out["module"] = module
    if isinstance(value.get("mechanism"), dict):
        out["mechanism"] = value["mechanism"]
    stacktrace = _stacktrace(value.get("stacktrace") or value.get("raw_stacktrace"))
    if stacktrace:
        out["stacktrace"] = stacktrace
    if "thread_id" in value:
        out["thread_id"] = value["thread_id"]
    return out


def _thread(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: value[k] for k in ("id", "name", "crashed", "current", "main") if k in value
    }
    stacktrace = _stacktrace(value.get("stacktrace"))
    if stacktrace:
        out["stacktrace"] = stacktrace
    return out


_FRAME_STR = ("filename", "abs_path", "module", "function", "package", "platform")
_FRAME_INT = ("lineno", "colno")


def _stacktrace(value: object) -> dict[str, Any] | None:
    if not isinstance(value, dict) or not isinstance(value.get("frames"), list):
        return None
    frames = [_frame(f) for f in value["frames"] if isinstance(f, dict)]
    return {"frames": frames} if frames else None


def _frame(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    get = value.get  # the hottest loop of normalizing: every frame of every event
    for key in _FRAME_STR:
        item = get(key)
        if item is not None:
            text = item[:1000] if item.__class__ is str else _scalar_str(item, 1000)
            if text:
                out[key] = text
    for key in _FRAME_INT:
        item = get(key)
        if isinstance(item, int) and item.__class__ is not bool:
            out[key] = item
    item = get("context_line")
    if isinstance(item, str):
        out["context_line"] = item[:1000]
    for key in ("pre_context", "post_context"):
        item = get(key)
        if isinstance(item, list):
            out[key] = [line[:1000] if isinstance(line, str) else "" for line in item[:20]]
    if isinstance(get("in_app"), bool):
        out["in_app"] = value["in_app"]
    if isinstance(get("vars"), dict):
        out["vars"] = value["vars"]
    if isinstance(get("instruction_addr"), str):
        out["instruction_addr"] = value["instruction_addr"][:64]
    return out


def _tags(value: object) -> list[list[str]]:
    """Tags as a dict or as pairs -> `[[key, value], ...]`, keys unique, values as text."""
    items: list[tuple[object, object]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = [tuple(pair) for pair in value if isinstance(pair, list | tuple) and len(pair) == 2]
    seen: dict[str, str] = {}
    for key, val in items:
        k, v = _scalar_str(key, MAX_TAG_KEY).strip(), _scalar_str(val, MAX_TAG_VALUE)
        if k and v and k not in seen:
            seen[k] = v
    return [[k, v] for k, v in seen.items()]


def _user(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    out = dict(value)
    for key in ("id", "email", "username", "ip_address"):
        if key in out:
            text = _scalar_str(out[key], 250)
            if text:
                out[key] = text
            else:
                del out[key]
    return out


def _fingerprint(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [text for text in (_scalar_str(v, 250) for v in value) if text]


def user_ident(event: Event) -> str:
    """The user identifier lists filter on: id, else email, username, IP."""
    user = event.get("user") or {}
    for key in ("id", "email", "username", "ip_address"):
        if user.get(key):
            return str(user[key])[:250]
    return ""
