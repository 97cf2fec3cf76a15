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


def event_tags(event: Event) -> dict[str, str]:
    """SDK tags plus derived ones (SDK tags win), values cut to the column size."""
    tags = derived_tags(event)
    for key, value in event.get("tags") or []:
        tags[key] = value
    return {k[:200]: v[:250] for k, v in tags.items()}
