"""Turn a decoded event payload into display structures; every shape is tolerated."""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name, get_lexer_for_filename
from pygments.util import ClassNotFound

MAX_FRAMES = 250
MAX_TEXT = 20_000
MAX_ROWS = 500  # per key/value table (vars, headers, modules...)
MAX_THREADS = 100
MAX_EXCEPTIONS = 50
PLATFORM_LEXERS = {
    "python": "python",
    "javascript": "javascript",
    "node": "javascript",
    "php": "php",
    "ruby": "ruby",
    "java": "java",
    "csharp": "csharp",
    "go": "go",
    "cocoa": "swift",
    "native": "c",
    "elixir": "elixir",
}
CONTEXT_ORDER = ["os", "runtime", "browser", "device", "app", "trace", "gpu", "culture"]
_formatter = HtmlFormatter(nowrap=True)


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    if isinstance(value, dict) and isinstance(value.get("values"), list):
        return value["values"]
    return value if isinstance(value, list) else []


def text(value: Any, limit: int = MAX_TEXT) -> str:
    """Any value as display text (JSON for structures), bounded in length."""
    if value is None:
        return ""
    if isinstance(value, str):
        s = value
    else:
        try:
            s = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:
            s = repr(value)
    return s if len(s) <= limit else s[:limit] + "…"


def pairs(value: Any) -> list[tuple[str, str]]:
    """Dicts, lists of pairs, and lists of dicts with key/value become (key, value) rows."""
    if isinstance(value, dict):
        return [(text(k, 500), text(v)) for k, v in list(value.items())[:MAX_ROWS]]
    rows = []
    for item in as_list(value)[:MAX_ROWS]:
        if isinstance(item, list | tuple) and len(item) == 2:
            rows.append((text(item[0]), text(item[1])))
        elif isinstance(item, dict) and "key" in item:
            rows.append((text(item.get("key")), text(item.get("value"))))
    return rows


def when(value: Any) -> datetime | None:
    """Sentry timestamps: float epoch or ISO 8601."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=UTC)
        if isinstance(value, str) and value:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


@lru_cache(maxsize=256)
def _lexer(filename: str, platform: str) -> Lexer:
    opts: dict[str, Any] = {"stripnl": False, "ensurenl": False}
    try:
        return get_lexer_for_filename(filename, **opts)
    except (ClassNotFound, ValueError):
        pass
    try:
        return get_lexer_by_name(PLATFORM_LEXERS.get(platform, platform) or "text", **opts)
    except ClassNotFound:
        return TextLexer(**opts)


@dataclass
class SourceLine:
    lineno: int | None
    html: str  # produced by Pygments, which escapes the source
    current: bool


@dataclass
class Frame:
    filename: str
    function: str
    module: str
    lineno: Any
    colno: Any
    in_app: bool
    package: str
    source: list[SourceLine]
    vars: list[tuple[str, str]]
    problem: str = ""  # why a minified frame could not be resolved by its source map


@dataclass
class Stack:
    frames: list[Frame]
    has_in_app: bool
    omitted: int = 0


@dataclass
class ExceptionView:
    type: str
    value: str
    module: str
    mechanism: str
    handled: Any
    stack: Stack | None
    raw_stack: Stack | None = None  # the minified frames, when source maps resolved them


@dataclass
class TagView:
    key: str
    value: str


def source_lines(frame: dict, platform: str) -> list[SourceLine]:
    pre = [text(x, 500) for x in as_list(frame.get("pre_context"))]
    post = [text(x, 500) for x in as_list(frame.get("post_context"))]
    context = frame.get("context_line")
    if context is None and not pre and not post:
        return []
    lines = [*pre, text(context, 500), *post]
    lines = [line.replace("\r", "").replace("\n", " ") for line in lines]
    filename = text(frame.get("filename") or frame.get("abs_path") or "", 300)
    lexer = _lexer(filename.rsplit("/", 1)[-1], platform)
    html = highlight("\n".join(lines), lexer, _formatter).split("\n")
    lineno = frame.get("lineno") if isinstance(frame.get("lineno"), int) else None
    first = lineno - len(pre) if lineno is not None else None
    return [
        SourceLine(
            lineno=first + i if first is not None else None,
            html=html[i] if i < len(html) else "",
            current=i == len(pre),
        )
        for i in range(len(lines))
    ]


# The digest's symbolication notes (digest/symbolicate.py), as Sentry's processing errors.
SOURCEMAP_PROBLEMS = {
    "missing_bundle": "No uploaded bundle has this file's debug id{debug_id}.",
    "missing_file": "The uploaded bundles have no source map for this file.",
    "unreadable": "The source map for this file could not be read.",
    "no_mapping": "The source map has no mapping for this line and column.",
    "no_release": "No debug id and no release: no source map can be found for this file "
    "(sentry-cli sourcemaps inject adds debug ids).",
}


def sourcemap_problem(frame: dict) -> str:
    data = as_dict(frame.get("data"))
    template = SOURCEMAP_PROBLEMS.get(text(data.get("sourcemap_error"), 50), "")
    debug_id = text(data.get("debug_id"), 36)
    return template.format(debug_id=f" ({debug_id})" if debug_id else "")


def present_frame(frame: dict, platform: str) -> Frame:
    return Frame(
        filename=text(frame.get("filename") or frame.get("abs_path") or frame.get("module"), 500),
        function=text(frame.get("function") or frame.get("raw_function") or "", 500),
        module=text(frame.get("module"), 500),
        lineno=frame.get("lineno") if isinstance(frame.get("lineno"), int) else None,
        colno=frame.get("colno") if isinstance(frame.get("colno"), int) else None,
        in_app=frame.get("in_app") is True,
        package=text(frame.get("package"), 500),
        source=source_lines(frame, text(frame.get("platform") or platform, 50)),
        vars=pairs(frame.get("vars")),
        problem=sourcemap_problem(frame),
    )


def present_stack(stacktrace: Any, platform: str) -> Stack | None:
    raw = [f for f in as_list(as_dict(stacktrace).get("frames")) if isinstance(f, dict)]
    if not raw:
        return None
    omitted = max(len(raw) - MAX_FRAMES, 0)
    frames = [present_frame(f, platform) for f in raw[-MAX_FRAMES:]]
    has_in_app = any(f.in_app for f in frames)
    if not has_in_app:  # nothing marked: show the frame that raised
        frames[-1].in_app = True
    return Stack(frames=frames, has_in_app=has_in_app, omitted=omitted)


def present_exceptions(payload: dict, platform: str) -> list[ExceptionView]:
    """Stored order is Sentry's: the cause first, the exception it led to last."""
    result = []
    for exc in as_list(payload.get("exception"))[-MAX_EXCEPTIONS:]:
        if not isinstance(exc, dict):
            continue
        mechanism = as_dict(exc.get("mechanism"))
        result.append(
            ExceptionView(
                type=text(exc.get("type"), 500),
                value=text(exc.get("value")),
                module=text(exc.get("module"), 500),
                mechanism=text(mechanism.get("type"), 100),
                handled=mechanism.get("handled"),
                stack=present_stack(exc.get("stacktrace"), platform),
                raw_stack=present_stack(exc.get("raw_stacktrace"), platform),
            )
        )
    return result


def present_threads(payload: dict, platform: str) -> list[dict]:
    threads = []
    for t in as_list(payload.get("threads"))[:MAX_THREADS]:
        if not isinstance(t, dict):
            continue
        threads.append(
            {
                "id": text(t.get("id"), 100),
                "name": text(t.get("name"), 200),
                "crashed": t.get("crashed") is True,
                "current": t.get("current") is True,
                "stack": present_stack(t.get("stacktrace"), platform),
            }
        )
    return threads


def present_message(payload: dict) -> str:
    for key in ("logentry", "message"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return text(value)
        entry = as_dict(value)
        msg = entry.get("formatted") or entry.get("message")
        if msg:
            return text(msg)
    return ""


def present_summary(payload: Any) -> str:
    """One line for an event in a list: its message, else its last exception's
    `Type: value` (the one raised last, as Sentry titles it)."""
    payload = as_dict(payload)
    message = present_message(payload)
    if not message:
        exceptions = as_list(payload.get("exception"))
        last = as_dict(exceptions[-1]) if exceptions else {}
        parts = [text(last.get("type"), 200), text(last.get("value"), 500)]
        message = ": ".join(p for p in parts if p)
    return message.strip().splitlines()[0][:300] if message.strip() else ""


def present_request(payload: dict) -> dict | None:
    req = as_dict(payload.get("request"))
    if not req:
        return None
    query = req.get("query_string")
    headers = []
    for key, value in pairs(req.get("headers")):
        headers.append((key, value))
    return {
        "method": text(req.get("method"), 20),
        "url": text(req.get("url"), 2000),
        "query": [(k, v) for k, v in pairs(query)] if not isinstance(query, str) else [],
        "query_string": query if isinstance(query, str) else "",
        "headers": headers,
        "cookies": pairs(req.get("cookies")) if not isinstance(req.get("cookies"), str) else [],
        "data": text(req.get("data")),
        "env": pairs(req.get("env")),
    }


def present_contexts(payload: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    contexts = as_dict(payload.get("contexts"))
    names = [n for n in CONTEXT_ORDER if n in contexts]
    names += sorted((n for n in contexts if n not in CONTEXT_ORDER), key=str)
    return [(text(n, 100), pairs(contexts[n])) for n in names if contexts[n]]


def present_tags(payload: dict) -> list[TagView]:
    """The event's own tags as the SDK sent them; the issue's counts are issues/tags.py's."""
    return [TagView(key=k, value=v) for k, v in pairs(payload.get("tags"))]


def present_sdk(payload: dict) -> dict:
    sdk = as_dict(payload.get("sdk"))
    return {
        "name": text(sdk.get("name"), 200),
        "version": text(sdk.get("version"), 100),
        "integrations": [text(i, 100) for i in as_list(sdk.get("integrations"))],
        "packages": [
            f"{text(p.get('name'), 200)} {text(p.get('version'), 100)}"
            for p in as_list(sdk.get("packages"))
            if isinstance(p, dict)
        ],
    }


def present_event(payload: Any) -> dict:
    payload = as_dict(payload)
    platform = text(payload.get("platform"), 50)
    return {
        "event_id": text(payload.get("event_id"), 100),
        "timestamp": when(payload.get("timestamp")),
        "level": text(payload.get("level"), 20),
        "platform": platform,
        "logger": text(payload.get("logger"), 200),
        "release": text(payload.get("release"), 250),
        "environment": text(payload.get("environment"), 250),
        "server_name": text(payload.get("server_name"), 250),
        "transaction": text(payload.get("transaction"), 500),
        "message": present_message(payload),
        "exceptions": present_exceptions(payload, platform),
        "threads": present_threads(payload, platform),
        "tags": present_tags(payload),
        "user": pairs(payload.get("user")),
        "request": present_request(payload),
        "contexts": present_contexts(payload),
        "sdk": present_sdk(payload),
        "modules": pairs(payload.get("modules")),
        "extra": pairs(payload.get("extra")),
        "fingerprint": [text(f, 200) for f in as_list(payload.get("fingerprint"))],
    }
