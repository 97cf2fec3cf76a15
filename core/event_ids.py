"""Event ids are stored as 32 lowercase hex digits; SDKs and people also write dashed UUIDs."""

import re

# ASCII only: `[0-9a-f]` never matches other scripts' digits, as `\d` would.
_PLAIN = re.compile(r"[0-9a-f]{32}")
_DASHED = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalize_event_id(value: object) -> str | None:
    """32 hex digits or an 8-4-4-4-12 UUID, any case -> 32 lowercase hex; else None.

    Nothing else is accepted (no braces, `urn:uuid:`, stray dashes or whitespace), so what a
    caller stores or looks up is always exactly the stored form. Each caller decides what a
    None means for it (ingest: 400, API: 404, issue page: a message).
    """
    if not isinstance(value, str) or len(value) not in (32, 36):
        return None
    lowered = value.lower()
    if _PLAIN.fullmatch(lowered):
        return lowered
    if _DASHED.fullmatch(lowered):
        return lowered.replace("-", "")
    return None
