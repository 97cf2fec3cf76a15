"""What an issue is called: its title and culprit, and the columns stored beside an event."""

from typing import Any

from digest.grouping import crash_frame, main_exception, normalize_function
from digest.normalize import user_ident

Event = dict[str, Any]
TITLE_MAX = 500


def title(event: Event) -> str:
    """`Type: first line of value`, else the message, else a placeholder."""
    main = main_exception(event)
    if main and (main.get("type") or main.get("value")):
        first_line = (main.get("value") or "").strip().splitlines()[:1]
        parts = [p for p in (main.get("type"), first_line[0] if first_line else "") if p]
        return ": ".join(parts)[:TITLE_MAX]
    message = (event.get("message") or "").strip()
    if message:
        return message.splitlines()[0][:TITLE_MAX]
    return "<unlabeled event>"


def culprit(event: Event) -> str:
    """The crash frame as `module in function`; else what the SDK or transaction says."""
    frame = crash_frame(event)
    if frame:
        where = frame.get("module") or frame.get("filename") or frame.get("abs_path") or ""
        function = normalize_function(frame.get("function")) or "?"
        if where:
            return f"{where} in {function}"[:TITLE_MAX]
        if frame.get("function"):
            return function[:TITLE_MAX]
    return (event.get("culprit") or event.get("transaction") or "")[:TITLE_MAX]


# Derived tags aggregated per issue besides the SDK's own tags: (tag key, how to read it).
def derived_tags(event: Event) -> dict[str, str]:
    contexts = event.get("contexts") or {}
    tags: dict[str, str] = {}
    for key in ("release", "environment", "level", "server_name"):
        if event.get(key):
            tags[key] = str(event[key])
    user = user_ident(event)
    if user:
        tags["user"] = user
    for key in ("browser", "os"):
        ctx = contexts.get(key)
        if isinstance(ctx, dict) and isinstance(ctx.get("name"), str) and ctx["name"]:
            version = ctx.get("version")
            tags[key] = f"{ctx['name']} {version}" if isinstance(version, str) else ctx["name"]
    return tags


# What one event adds to its issue's tag counts (docs/architecture.md, "Digest"). Sentry's
# lengths; a tag past them, or past the first MAX_INDEXED_TAGS, stays in the payload only.
MAX_INDEXED_TAGS = 50
MAX_TAG_KEY = 32
MAX_TAG_VALUE = 200


def event_tags(event: Event) -> dict[str, str]:
    """The tags counted per issue: derived ones (always, values cut to MAX_TAG_VALUE) and the
    first MAX_INDEXED_TAGS SDK tags within the key and value lengths (these win over derived)."""
    tags = {k: v[:MAX_TAG_VALUE] for k, v in derived_tags(event).items()}
    room = MAX_INDEXED_TAGS
    for key, value in event.get("tags") or []:
        if len(key) <= MAX_TAG_KEY and len(value) <= MAX_TAG_VALUE:
            tags[key] = value
            room -= 1
            if not room:
                break
    return tags
