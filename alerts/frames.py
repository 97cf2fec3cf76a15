"""The crash end of an event's stack, read defensively from the normalized payload."""

from typing import Any

MAX_FIELD = 200


def _text(value: Any) -> str:
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def _values(container: Any) -> list[Any]:
    if isinstance(container, dict):
        container = container.get("values")
    return container if isinstance(container, list) else []


def _frames_of(holder: Any) -> list[dict[str, Any]]:
    stack = holder.get("stacktrace") if isinstance(holder, dict) else None
    frames = stack.get("frames") if isinstance(stack, dict) else None
    if not isinstance(frames, list):
        return []
    return [f for f in frames if isinstance(f, dict)]


def stack_frames(payload: Any) -> list[dict[str, Any]]:
    """Frames (oldest first) of the exception that was raised last, else of the crashed thread."""
    if not isinstance(payload, dict):
        return []
    # Sentry lists chained exceptions oldest first: the last one is what actually propagated.
    for value in reversed(_values(payload.get("exception"))):
        if frames := _frames_of(value):
            return frames
    threads = [t for t in _values(payload.get("threads")) if isinstance(t, dict)]
    threads.sort(key=lambda t: (t.get("crashed") is not True, t.get("current") is not True))
    for thread in threads:
        if frames := _frames_of(thread):
            return frames
    return _frames_of(payload)


def top_frames(payload: Any, limit: int = 5) -> list[dict[str, Any]]:
    """Up to `limit` frames, crash end first, in-app ones only when the event marks any."""
    frames = stack_frames(payload)
    in_app = [f for f in frames if f.get("in_app") is True]
    result = []
    for frame in reversed(in_app or frames):
        lineno = frame.get("lineno")
        result.append(
            {
                "filename": _text(frame.get("filename"))
                or _text(frame.get("abs_path"))
                or _text(frame.get("module"))
                or "?",
                "function": _text(frame.get("function")) or "?",
                "lineno": lineno
                if isinstance(lineno, int) and not isinstance(lineno, bool)
                else None,
                "context_line": _text(frame.get("context_line")).strip(),
            }
        )
        if len(result) == limit:
            break
    return result
