"""Grouping: which events are "the same problem". Versioned; see docs/grouping.md.

Each version is a function from a normalized event to a `Grouping`. A version's output is
pinned by tests (tests/test_grouping_versions.py): changing the algorithm means adding a
new version to `VERSIONS`, never editing an old one.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson

from digest.parameterize import parameterize

GROUPING_VERSION = "frames-v2"
V1 = "frames-v1"
V2 = "frames-v2"
JS_PLATFORMS = frozenset({"javascript", "node"})

Event = dict[str, Any]
Component = dict[str, Any]  # {"kind", "label", "value", "contributes", "hint"}


@dataclass
class Grouping:
    hash: str
    version: str
    components: list[Component] = field(default_factory=list)


def compute(event: Event, version: str = GROUPING_VERSION) -> Grouping:
    return VERSIONS[version](event)


def fallback(reason: str) -> Grouping:
    """For events that could not be normalized: one issue per project collects them."""
    comp = _component("error", "processing error", "unprocessable event", True, reason[:200])
    return Grouping(_hash("fallback", [comp]), "fallback", [comp])


# ---- frames-v1 -------------------------------------------------------------------------

CONTEXT_LINE_PLATFORMS = {"python", "javascript", "node", "php", "ruby"}
MAX_CONTEXT_LINE = 120
_NOT_IN_APP_PATH = re.compile(
    r"(?:^|[/\\])(?:site-packages|dist-packages|node_modules)[/\\]"
    r"|^(?:node:|internal/|<frozen |<string>|native$|\[native code\])"
    r"|[/\\]lib[/\\](?:python|pypy)\d[\d.]*[/\\](?!site-packages)"
    r"|[/\\]lib[/\\]ruby[/\\]\d"
    r"|^/usr/(?:share|lib)/php"
)
_ANONYMOUS = {
    "?", "<anonymous>", "anonymous", "anonymous function", "<anonymous function>",
    "{closure}", "<lambda>", "lambda", "<unknown>", "object.<anonymous>",
}  # fmt: skip
_HASH_SEGMENT = re.compile(
    r"^(?:[0-9a-f]{6,}|[0-9A-Za-z_]{8,})$"
)  # a content hash between dots/dashes
_VERSION = re.compile(r"[@_.-]?v?\d+(?:\.\d+)+(?:-[0-9A-Za-z.]+)?")


def frames_v1(event: Event) -> Grouping:
    return _frames_grouping(event, V1, js_modules=False)


def frames_v2(event: Event) -> Grouping:
    """frames-v1, plus JavaScript module names lose their content hashes (`main.3f2a1b9c`
    -> `main`), as file names always did. Hashed in frames-v1's namespace: an event whose
    components are the same under both versions keeps its issue across the upgrade."""
    return _frames_grouping(event, V2, js_modules=True)


def _frames_grouping(event: Event, version: str, js_modules: bool) -> Grouping:
    default = _default_components(event, js_modules)
    fingerprint = event.get("fingerprint") or []
    if not fingerprint or fingerprint == ["{{ default }}"]:
        return Grouping(_hash(V1, default), version, default)
    grouped = _with_fingerprint(event, fingerprint, default)
    return Grouping(grouped.hash, version, grouped.components)


def _default_components(event: Event, js_modules: bool = False) -> list[Component]:
    exceptions = [e for e in (event.get("exception") or {}).get("values") or [] if e]
    if exceptions:
        return _exception_components(event, exceptions, js_modules)
    stack = _thread_stacktrace(event)
    if stack:
        frames = _frame_components(event, [stack.get("frames") or []], "stack trace", js_modules)
        if any(c["contributes"] for c in frames):
            return frames
    return _message_components(event)


def _exception_components(
    event: Event, exceptions: list[dict[str, Any]], js_modules: bool = False
) -> list[Component]:
    stacks = [((e.get("stacktrace") or {}).get("frames") or []) for e in exceptions]
    frame_comps = _frame_components(event, stacks, "exception", js_modules)
    any_frame = any(c["contributes"] for c in frame_comps)
    out: list[Component] = []
    for i, exc in enumerate(exceptions):
        label = f"exception {i + 1}"
        if exc.get("type"):
            out.append(_component("type", f"{label} type", exc["type"], True))
        value = (exc.get("value") or "").strip()
        if value:
            hint = "frames contribute" if any_frame else ""
            out.append(
                _component("value", f"{label} value", parameterize(value), not any_frame, hint)
            )
        out += [c for c in frame_comps if c["label"].startswith(label + ",")]
    if not any(c["contributes"] for c in out):
        out += _message_components(event)
    return out


def _frame_components(
    event: Event, stacks: list[list[dict]], what: str, js_modules: bool = False
) -> list[Component]:
    """Frame components for all stacks; only in-app frames contribute when any frame is in-app."""
    all_frames = [f for frames in stacks for f in frames if isinstance(f, dict)]
    flagged = has_in_app_flags(all_frames)
    any_in_app = any(is_in_app(f, flagged) for f in all_frames)
    platform = event.get("platform") or ""
    out: list[Component] = []
    for i, frames in enumerate(stacks):
        label = f"{what} {i + 1}" if what == "exception" else what
        previous: str | None = None
        for n, frame in enumerate(frames):
            if not isinstance(frame, dict):
                continue
            value = frame_value(frame, platform, js_modules)
            flabel = f"{label}, frame {n + 1}"
            if not value:
                out.append(_component("frame", flabel, "", False, "no module, file or function"))
            elif any_in_app and not is_in_app(frame, flagged):
                out.append(_component("frame", flabel, value, False, "not in-app"))
            elif value == previous:
                out.append(_component("frame", flabel, value, False, "recursion collapsed"))
            else:
                out.append(_component("frame", flabel, value, True))
                previous = value
    return out


def frame_value(frame: dict[str, Any], platform: str, js_modules: bool = False) -> str:
    """What a frame contributes: module (else cleaned basename), function, short context line."""
    module = frame.get("module")
    if module and js_modules and (frame.get("platform") or platform) in JS_PLATFORMS:
        module = _js_module(module)
    module = module or _file_module(frame.get("filename") or frame.get("abs_path"))
    parts = [module, normalize_function(frame.get("function"))]
    if not any(parts):
        return ""
    frame_platform = frame.get("platform") or platform
    context = " ".join((frame.get("context_line") or "").split())
    if frame_platform in CONTEXT_LINE_PLATFORMS and context and len(context) <= MAX_CONTEXT_LINE:
        parts.append(context)
    return " | ".join(parts)


@lru_cache(maxsize=4096)
def _js_module(module: str) -> str:
    """`assets/main.3f2a1b9c` -> `assets/main`, `chunk-9c8d7e01` -> `chunk`."""
    head, sep, last = module.rpartition("/")
    return head + sep + strip_versions(last)


def has_in_app_flags(frames: list[dict[str, Any]]) -> bool:
    return any(isinstance(f.get("in_app"), bool) for f in frames)


def is_in_app(frame: dict[str, Any], flagged: bool) -> bool:
    """The SDK's in_app flag (missing = not in-app when the SDK flags frames at all);
    without any flags, library and runtime paths are not in-app."""
    if flagged:
        return frame.get("in_app") is True
    path = frame.get("abs_path") or frame.get("filename") or ""
    return not _NOT_IN_APP_PATH.search(path)


@lru_cache(maxsize=4096)  # the same few files recur in event after event
def _file_module(path: str | None) -> str:
    return strip_versions(basename(path or ""))


def basename(path: str) -> str:
    path = re.split(r"[?#]", path, maxsplit=1)[0]
    return re.split(r"[/\\]", path)[-1]


def strip_versions(name: str) -> str:
    """`main.3f2a1b.js` -> `main.js`, `jquery-3.6.0.min.js` -> `jquery.min.js`."""
    name = _VERSION.sub("", name)
    head, *rest = re.split(r"([.-])", name)
    kept = [head]
    for i in range(0, len(rest) - 1, 2):
        sep, segment = rest[i], rest[i + 1]
        if _HASH_SEGMENT.match(segment) and any(ch.isdigit() for ch in segment):
            continue
        kept += [sep, segment]
    return "".join(kept)


def normalize_function(function: object) -> str:
    if not isinstance(function, str) or not function:
        return ""
    return _normalize_function(function)


@lru_cache(maxsize=4096)  # the same few functions recur in event after event
def _normalize_function(function: str) -> str:
    name = function.strip()
    if name.lower() in _ANONYMOUS:
        return "<anonymous>"
    name = re.sub(r"\{closure(?:#\d+)?\}", "{closure}", name)  # PHP/Rust closures
    name = re.sub(r"^block (?:\(\d+ levels\) )?in ", "block in ", name)  # Ruby blocks
    name = re.sub(r"lambda\$(\w+?)\$\d+", r"lambda$\1", name)  # Java lambdas
    name = re.sub(r"\$\$Lambda\$\d+/0x[0-9a-fA-F]+", "$$Lambda", name)
    return re.sub(r"\$\d+\b", "$<anonymous>", name)  # Java anonymous classes Foo$1


def _thread_stacktrace(event: Event) -> dict[str, Any] | None:
    if event.get("stacktrace"):
        return event["stacktrace"]
    threads = (event.get("threads") or {}).get("values") or []
    for thread in threads:
        if thread.get("crashed") and thread.get("stacktrace"):
            return thread["stacktrace"]
    return None


def _message_components(event: Event) -> list[Component]:
    logentry = event.get("logentry") or {}
    template = logentry.get("message") or ""
    if template and logentry.get("params"):
        return [_component("message", "log message template", template, True)]
    text = (logentry.get("formatted") or template or "").strip()
    if text:
        return [_component("message", "message", parameterize(text), True, "parameterized")]
    return [_component("fallback", "nothing to group by", "<no exception or message>", True)]


# ---- SDK fingerprints ------------------------------------------------------------------

_VARIABLE = re.compile(r"^\{\{\s*([\w.]+)\s*\}\}$")


def _with_fingerprint(event: Event, fingerprint: list[str], default: list[Component]) -> Grouping:
    out: list[Component] = []
    uses_default = False
    for i, entry in enumerate(fingerprint):
        match = _VARIABLE.match(entry.strip())
        name = match.group(1).lower() if match else ""
        if name == "default":
            uses_default = True
            out.append(_component("fingerprint", f"fingerprint {i + 1}", "{{ default }}", True))
            continue
        value = fingerprint_variable(event, name) if match else entry
        out.append(_component("fingerprint", f"fingerprint {i + 1}", value, True, entry))
    for comp in default:
        if not uses_default and comp["contributes"]:
            comp = {**comp, "contributes": False, "hint": "replaced by the SDK's fingerprint"}
        out.append(comp)
    return Grouping(_hash(V1, out), V1, out)


def fingerprint_variable(event: Event, name: str) -> str:
    """`{{ type }}`, `{{ function }}` etc.; unknown variables resolve to `<unknown>`."""
    main = main_exception(event)
    frame = crash_frame(event) or {}
    values: dict[str, object] = {
        "type": main.get("type") if main else None,
        "error.type": main.get("type") if main else None,
        "value": main.get("value") if main else None,
        "error.value": main.get("value") if main else None,
        "function": frame.get("function"),
        "module": frame.get("module"),
        "transaction": event.get("transaction"),
        "level": event.get("level"),
        "logger": event.get("logger"),
        "message": event.get("message"),
        "release": event.get("release"),
        "environment": event.get("environment"),
    }
    if name.startswith("tags."):
        values[name] = dict(event.get("tags") or []).get(name[5:])
    value = values.get(name)
    return str(value) if value else f"<no {name}>"


def main_exception(event: Event) -> dict[str, Any] | None:
    """The exception that was raised last (Sentry lists chained exceptions oldest first)."""
    values = (event.get("exception") or {}).get("values") or []
    return values[-1] if values else None


def crash_frame(event: Event) -> dict[str, Any] | None:
    """The innermost in-app frame of the main exception (else its innermost frame)."""
    main = main_exception(event)
    stack = (main or {}).get("stacktrace") or _thread_stacktrace(event) or {}
    frames = [f for f in stack.get("frames") or [] if isinstance(f, dict)]
    flagged = has_in_app_flags(frames)
    in_app = [f for f in frames if is_in_app(f, flagged)]
    candidates = in_app or frames
    return candidates[-1] if candidates else None


# ---- shared ----------------------------------------------------------------------------


def _component(kind: str, label: str, value: str, contributes: bool, hint: str = "") -> Component:
    return {"kind": kind, "label": label, "value": value, "contributes": contributes, "hint": hint}


def _hash(version: str, components: list[Component]) -> str:
    """Only contributing (kind, value) pairs count: labels and hints are for people."""
    parts = [[c["kind"], c["value"]] for c in components if c["contributes"]]
    return hashlib.sha256(orjson.dumps([version, parts])).hexdigest()[:32]


VERSIONS: dict[str, Callable[[Event], Grouping]] = {V1: frames_v1, V2: frames_v2}
