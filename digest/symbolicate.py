"""Symbolication: minified JavaScript frames -> the original source, before grouping.

A frame's map is found by the debug id of its file (`debug_meta.images` of type
`sourcemap`, written by `sentry-cli sourcemaps inject`), else by the event's release and
dist and the frame's URL (`sentry-cli sourcemaps upload --release … --url-prefix '~/'`),
only ever among the event's own project's bundles (artifacts.lookup). A resolved frame gets
the original file, line, column, function and context lines; the exception keeps the
minified frames in `raw_stacktrace`, as Sentry does. A frame that cannot be resolved keeps
its minified form and says why in `data.sourcemap_error` (shown on the issue page).

Grouping runs after this, on the resolved frames, so a rebuild (new content hashes, new
minified names) lands in the same issue.
"""

import copy
import logging
import posixpath
import re
from collections import defaultdict
from typing import Any

from artifacts import lookup, sourcemaps
from artifacts.manifest import normalize_debug_id

logger = logging.getLogger(__name__)

JS_PLATFORMS = frozenset({"javascript", "node"})
CONTEXT_LINES = 5
MAX_LINE = 1000

Event = dict[str, Any]
Frame = dict[str, Any]

MISSING_BUNDLE = "missing_bundle"
MISSING_FILE = "missing_file"
UNREADABLE = "unreadable"
NO_MAPPING = "no_mapping"
NO_RELEASE = "no_release"

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://[^/]*/", re.I)


def _stacks(event: Event) -> list[dict[str, Any]]:
    """The exceptions' stack traces (and an old SDK's top-level one) that frames live in."""
    holders = [e for e in (event.get("exception") or {}).get("values") or [] if e]
    if event.get("stacktrace"):
        holders.append(event)
    return [h for h in holders if (h.get("stacktrace") or {}).get("frames")]


def frame_url(frame: Frame) -> str:
    """The file a frame ran in: browser SDKs send it as `filename`, Node's as `abs_path`."""
    url = frame.get("abs_path") or frame.get("filename")
    return url if isinstance(url, str) else ""


def _needs_map(frame: Frame) -> bool:
    return (
        bool(frame_url(frame))
        and isinstance(frame.get("lineno"), int)
        and isinstance(frame.get("colno"), int)
        and frame["lineno"] > 0
        and frame["colno"] > 0
    )


def _debug_ids(event: Event) -> dict[str, str]:
    images = (event.get("debug_meta") or {}).get("images")
    out = {}
    for image in images if isinstance(images, list) else []:
        if isinstance(image, dict) and image.get("type") == "sourcemap":
            code_file, debug_id = image.get("code_file"), image.get("debug_id")
            if isinstance(code_file, str) and isinstance(debug_id, str):
                normalized = normalize_debug_id(debug_id)
                if normalized:
                    out[code_file] = normalized
    return out


def apply(events: list[tuple[int, Event]]) -> None:
    """Resolve the JavaScript frames of `(project id, event)` pairs in place."""
    jobs = []
    for project_id, event in events:
        if event.get("platform") not in JS_PLATFORMS:
            continue
        holders = _stacks(event)
        if any(_needs_map(f) for h in holders for f in h["stacktrace"]["frames"]):
            jobs.append((project_id, event, holders, _debug_ids(event)))
    if not jobs:
        return
    by_debug: dict[int, set[str]] = defaultdict(set)
    by_url: dict[tuple[int, str, str], set[str]] = defaultdict(set)
    for project_id, event, holders, ids in jobs:
        for frame in _frames(holders):
            url = frame_url(frame)
            if url in ids:
                by_debug[project_id].add(ids[url])
            elif event.get("release"):
                by_url[(project_id, event["release"], event.get("dist", ""))].add(url)
    found_debug = {pid: lookup.by_debug_ids(pid, ids) for pid, ids in by_debug.items()}
    found_url = {key: lookup.by_urls(*key, paths) for key, paths in by_url.items()}
    tasks: dict[tuple[int, int | None], list[tuple[list[Frame], int, str | None]]] = {}
    changed: list[tuple[dict[str, Any], list[Frame]]] = []
    for project_id, event, holders, ids in jobs:
        url_key = (project_id, event.get("release", ""), event.get("dist", ""))
        for holder in holders:
            frames = holder["stacktrace"]["frames"]
            raw = copy.deepcopy(frames)
            for i, frame in enumerate(frames):
                if not _needs_map(frame):
                    continue
                url = frame_url(frame)
                debug_id = ids.get(url)
                if debug_id:
                    found = found_debug.get(project_id, {}).get(debug_id)
                elif event.get("release"):
                    found = found_url.get(url_key, {}).get(url)
                else:
                    found = None
                if found is None or found.map_id is None:
                    kind = NO_RELEASE if found is None else (found.error or MISSING_FILE)
                    frames[i] = _failed(frame, kind, debug_id)
                else:
                    frame["data"] = {"sourcemap": found.map_url[:1000], "resolved_with": found.how}
                    tasks.setdefault((found.map_id, found.minified_id), []).append(
                        (frames, i, debug_id)
                    )
            if holder is not event:
                changed.append((holder, raw))
    # One map at a time, each parsed at most once per batch: the cache stays within its
    # bytes even when a batch touches more maps than it holds.
    for key in sorted(tasks, key=lambda k: (k[0], k[1] or 0)):
        entry = sourcemaps.get(key)
        for frames, i, debug_id in tasks[key]:
            try:
                frames[i] = _resolve(frames[i], entry, debug_id)
            except Exception:  # untrusted frames: never lose the event over one of them
                logger.exception("symbolication of a frame failed")
                frames[i] = _failed(frames[i], UNREADABLE, debug_id)
    for holder, raw in changed:
        holder["raw_stacktrace"] = {"frames": raw}


def _frames(holders: list[dict[str, Any]]):
    for holder in holders:
        for frame in holder["stacktrace"]["frames"]:
            if _needs_map(frame):
                yield frame


def _failed(frame: Frame, kind: str, debug_id: str | None) -> Frame:
    data = {"sourcemap_error": kind, **({"debug_id": debug_id} if debug_id else {})}
    return {**frame, "data": data}


def _resolve(frame: Frame, entry, debug_id: str | None) -> Frame:
    if entry is None or isinstance(entry, sourcemaps.Unreadable):
        return _failed(frame, UNREADABLE, debug_id)
    token = entry.lookup(frame["lineno"], frame["colno"], frame.get("function"))
    if token is None or not token.src:
        return _failed(frame, NO_MAPPING, debug_id)
    out: Frame = {k: v for k, v in frame.items() if k not in ("module", "pre_context",
                  "post_context", "context_line", "data")}  # fmt: skip
    out["abs_path"] = token.src[:1000]
    out["filename"] = source_filename(token.src)[:1000]
    out["lineno"] = token.src_line + 1
    out["colno"] = token.src_col + 1
    out["function"] = (token.function_name or frame.get("function") or "")[:1000] or "?"
    if "node_modules/" in token.src:
        out["in_app"] = False
    context = None
    if token.src_id is not None:
        context = entry.context(token.src_id, token.src_line, CONTEXT_LINES)
    if context is not None:
        start, lines = context
        _context(out, start, lines, token.src_line)
    out["data"] = {
        "symbolicated": True,
        **(frame.get("data") or {}),
        **({"debug_id": debug_id} if debug_id else {}),
    }
    return out


def _context(frame: Frame, start: int, lines: list[str], line: int) -> None:
    lines = [text[:MAX_LINE] for text in lines]
    frame["pre_context"] = lines[: line - start]
    frame["context_line"] = lines[line - start]
    frame["post_context"] = lines[line - start + 1 :]


def source_filename(src: str) -> str:
    """`webpack://app/./src/a.ts`, `../src/a.ts`, `file:///x/src/a.ts` -> a readable path."""
    path = _SCHEME.sub("", src) if "://" in src else src
    parts = [p for p in posixpath.normpath(path).split("/") if p not in ("", ".", "..")]
    return "/".join(parts) or src
