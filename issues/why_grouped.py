"""The "Why grouped" sentence: which rule produced an issue's hash, in words.

Reads the components the digest stored on the issue (`digest/grouping.py`, `docs/grouping.md`):
dicts with kind, label, value, contributes and hint. Older or odd shapes give no sentence.
"""

from dataclasses import dataclass
from typing import Any

FRAMES_SHOWN = 3  # the innermost contributing frames
MAX_VALUE = 200
DEFAULT_ENTRY = "{{ default }}"


@dataclass
class ComponentRow:
    label: str
    value: str
    contributes: bool
    hint: str


def rows(components: Any) -> list[ComponentRow] | None:
    """The component list as table rows; None for shapes the page shows as a plain tree."""
    comps = _dicts(components)
    if not comps:
        return None
    return [
        ComponentRow(
            label=_text(c.get("label") or c.get("kind")),
            value=_text(c.get("value"), 1000),
            contributes=c.get("contributes") is True,
            hint=_text(c.get("hint")),
        )
        for c in comps
    ]


def _dicts(components: Any) -> list[dict]:
    return [c for c in components if isinstance(c, dict)] if isinstance(components, list) else []


def sentence(components: Any) -> str:
    comps = _dicts(components)
    contributing = [c for c in comps if c.get("contributes") is True]
    if not contributing:
        return ""
    fingerprint = [c for c in contributing if c.get("kind") == "fingerprint"]
    if fingerprint:
        return _fingerprint(fingerprint, [c for c in contributing if c not in fingerprint])
    return "Grouped by " + _default(contributing)


def _fingerprint(entries: list[dict], default: list[dict]) -> str:
    own = [_value(c) for c in entries if c.get("value") != DEFAULT_ENTRY]
    said = f"Grouped by the fingerprint [{', '.join(own)}]"
    if default:  # `{{ default }}` kept the default components contributing
        said += f" and the default grouping, {_default(default)}"
    return said


def _default(contributing: list[dict]) -> str:
    kinds = {c.get("kind") for c in contributing}
    types = [_value(c) for c in contributing if c.get("kind") == "type"]
    of = f" of {types[-1]}" if types else ""
    if "frame" in kinds:
        frames = [_frame_name(c) for c in contributing if c.get("kind") == "frame"]
        path = " → ".join(frames[-FRAMES_SHOWN:])
        more = "… → " if len(frames) > FRAMES_SHOWN else ""
        return f"the stack trace{of}: {more}{path}"
    if "value" in kinds:
        values = [_value(c) for c in contributing if c.get("kind") == "value"]
        named = f"the exception {types[-1]} and its" if types else "the exception"
        return f"{named} message “{values[-1]}”"
    if types:
        return f"the exception type {types[-1]}"
    for c in contributing:
        if c.get("kind") == "message":
            if c.get("label") == "log message template":
                return f"the message template “{_value(c)}”"
            return f"the message “{_value(c)}”, its variable parts masked"
        if c.get("kind") == "error":
            return "being unprocessable: such events share one issue per project"
    if "fallback" in kinds:
        return "nothing: the event had no exception, stack trace or message"
    return "its components (below)"


def _frame_name(component: dict) -> str:
    """A frame's value is `module | function | context`: the function, else the module."""
    module, _, rest = _value(component).partition(" | ")
    function = rest.split(" | ", 1)[0]
    return function or module or "?"


def _value(component: dict) -> str:
    return _text(component.get("value"))


def _text(value: Any, limit: int = MAX_VALUE) -> str:
    s = value if isinstance(value, str) else "" if value is None else str(value)
    return s if len(s) <= limit else s[:limit] + "…"
