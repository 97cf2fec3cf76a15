"""Corpus payloads made into canonical events for demo data (see issues/demodata.py).

The digest's own normalizer is used when it exists, so demo events look exactly like
digested ones; otherwise a light shaping brings the common SDK variants to the canonical
shape (exception/threads/breadcrumbs as {"values": [...]}, tags as pairs, float timestamps).
"""

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from issues.normalize import parse

Event = dict[str, Any]


def templates_from_corpus(corpus: Path) -> Iterator[Event]:
    """Every corpus payload that is valid JSON, a JSON object, and not known-broken."""
    broken_list = corpus / "KNOWN-BROKEN"
    broken = set(broken_list.read_text().split()) if broken_list.exists() else set()
    found = False
    for path in sorted(corpus.glob("*/*.json")):
        if str(path.relative_to(corpus)) in broken:
            continue
        try:
            data = parse(path.read_bytes())  # the digest's own parsing (drops NUL characters)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(data, dict):
            found = True
            yield data
    if not found:
        raise FileNotFoundError(f"no usable event payloads under {corpus}")


def normalizer() -> Callable[[Event], Event]:
    """The digest's normalizer when it exists, so demo events look exactly like digested ones."""
    try:
        from issues.normalize import normalize
    except ImportError:
        return shape
    received_at = datetime.now(UTC)
    return lambda data: normalize(data, "0" * 32, received_at)


def grouping_of(event: Event, fallback_key: str) -> tuple[str, str, list]:
    """(hash, version, components) from the digest's grouping if present."""
    try:
        from issues import grouping
    except ImportError:
        return hashlib.sha256(fallback_key.encode()).hexdigest(), "demo", []
    found = grouping.compute(event)
    return found.hash, found.version, found.components


def _values(value: Any) -> dict[str, list]:
    if isinstance(value, dict):
        inner = value.get("values")
        return {"values": inner if isinstance(inner, list) else [value]}
    if isinstance(value, list):
        return {"values": value}
    return {"values": []}


def _timestamp(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def shape(event: Event) -> Event:
    """A light normalization: enough for demo data to look like digested events."""
    out = dict(event)
    for key in ("exception", "threads", "breadcrumbs"):
        if key in out:
            out[key] = _values(out[key])
    for exc in out.get("exception", {}).get("values", []):
        if isinstance(exc, dict) and isinstance(exc.get("stacktrace"), dict):
            frames = exc["stacktrace"].get("frames")
            exc["stacktrace"]["frames"] = [f for f in frames or [] if isinstance(f, dict)]
    tags = out.get("tags")
    if isinstance(tags, dict):
        out["tags"] = [[str(k), str(v)] for k, v in tags.items()]
    elif isinstance(tags, list):
        out["tags"] = [[str(p[0]), str(p[1])] for p in tags if isinstance(p, list | tuple)]
    message = out.get("logentry") or out.get("message")
    if isinstance(message, str):
        out["logentry"] = {"message": message, "formatted": message, "params": []}
    elif isinstance(message, dict):
        text = message.get("formatted") or message.get("message") or ""
        out["logentry"] = {"message": message.get("message") or text, "formatted": text,
                           "params": message.get("params") or []}  # fmt: skip
    out.pop("message", None)
    out["timestamp"] = _timestamp(out.get("timestamp"))
    out["level"] = str(out.get("level") or "error")
    return out


def title_of(event: Event) -> tuple[str, str, str]:
    """(title, culprit, message) the way the issue list shows an event."""
    try:
        from issues import summary
    except ImportError:
        return _title_of(event)
    values = (event.get("exception") or {}).get("values") or []
    value = str(values[-1].get("value") or "") if values and isinstance(values[-1], dict) else ""
    return summary.title(event), summary.culprit(event), value or event.get("message") or ""


def _title_of(event: Event) -> tuple[str, str, str]:
    values = (event.get("exception") or {}).get("values") or []
    message = ((event.get("logentry") or {}).get("formatted")) or ""
    if values and isinstance(values[-1], dict):
        top = values[-1]
        exc_type, value = str(top.get("type") or "Error"), str(top.get("value") or "")
        title = f"{exc_type}: {value.splitlines()[0] if value else ''}".rstrip(": ")
        frames = (top.get("stacktrace") or {}).get("frames") or []
        in_app = [f for f in frames if isinstance(f, dict) and f.get("in_app")] or frames
        culprit = ""
        if in_app and isinstance(in_app[-1], dict):
            frame = in_app[-1]
            where = (
                frame.get("module") or frame.get("filename") or frame.get("abs_path")
                or frame.get("package") or ""
            )  # fmt: skip
            culprit = f"{where} in {frame.get('function') or '?'}"
        return title, culprit, value or message
    title = message.splitlines()[0] if message else "<unlabeled event>"
    return title, str(event.get("transaction") or event.get("culprit") or ""), message
