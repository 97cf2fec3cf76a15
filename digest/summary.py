"""What an issue is called: its title and culprit, and the columns stored beside an event."""

from typing import Any

from digest import useragent
from digest.grouping import crash_frame, main_exception, normalize_function
from digest.normalize import user_ident
from issues.users import USER_EMAIL_TAG

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


def _context_name(ctx: Any, *name_keys: str) -> str:
    """`name version` of a context such as `browser`, `os`, `runtime`; "" if it names none."""
    if not isinstance(ctx, dict):
        return ""
    name = next((ctx[k] for k in name_keys if isinstance(ctx.get(k), str) and ctx[k]), "")
    version = ctx.get("version")
    return f"{name} {version}" if name and isinstance(version, str) and version else name


def _user_agent(request: Any) -> str:
    """The User-Agent header; SDKs send headers as an object or as [name, value] pairs."""
    headers = request.get("headers") if isinstance(request, dict) else None
    pairs = list(headers.items()) if isinstance(headers, dict) else headers
    for pair in pairs if isinstance(pairs, list) else []:
        if isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[1], str):
            name = pair[0]
            if isinstance(name, str) and name.lower() == "user-agent":
                return pair[1]
    return ""


def _url(request: Any) -> str:
    """The request's URL without query string or fragment, as Sentry's `url` tag."""
    url = request.get("url") if isinstance(request, dict) else None
    return url.split("?", 1)[0].split("#", 1)[0] if isinstance(url, str) else ""


def derived_tags(event: Event) -> dict[str, str]:
    """Tags aggregated per issue besides the SDK's own: the event's fields, its user, and
    browser, OS and device from the SDK's contexts, else from the request's User-Agent."""
    contexts = event.get("contexts") or {}
    tags: dict[str, str] = {}
    for key in ("release", "environment", "level", "server_name"):
        if event.get(key):
            tags[key] = str(event[key])
    user = user_ident(event)
    if user:
        tags["user"] = user
    email = (event.get("user") or {}).get("email")
    if email and email != user:  # the `user` tag is the id: keep the email searchable too
        tags[USER_EMAIL_TAG] = str(email)
    request = event.get("request")
    agent = useragent.parse(_user_agent(request))
    found = {
        "browser": _context_name(contexts.get("browser"), "name") or agent.browser,
        "os": _context_name(contexts.get("os"), "name") or agent.os,
        "device": _context_name(contexts.get("device"), "model", "family") or agent.device,
        "runtime": _context_name(contexts.get("runtime"), "name"),
        "url": _url(request),
    }
    tags.update((key, value) for key, value in found.items() if value)
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
