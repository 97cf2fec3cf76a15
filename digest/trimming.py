"""How deep a stored event may nest. Ingest accepts what orjson parses (1,024 levels), but
orjson serializes at most 254 and our pages and API add levels of their own. So, as Sentry
trims its databags, a container deeper than MAX_DEPTH levels from the event's root becomes
MARKER, and the event is stored and shown like any other.
"""

import threading
from typing import Any

import orjson

MAX_DEPTH = 16
MARKER = "[trimmed: nested too deep]"
# orjson refuses more nested containers than this (tests/test_digest_depth.py pins it).
ORJSON_MAX_DEPTH = 254
_WRAP = ORJSON_MAX_DEPTH - MAX_DEPTH

_local = threading.local()


def dumps(event: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """(the event, trimmed if it nests too deep; its JSON).

    The check costs nothing extra: the event is serialized once, inside `_WRAP` lists, so
    orjson itself refuses exactly the events deeper than MAX_DEPTH; only those are walked."""
    holder = _holder()
    holder[0] = event
    try:
        wrapped = orjson.dumps(_local.outer)
    except orjson.JSONEncodeError:
        event = _trim(event, MAX_DEPTH - 1)
        return event, orjson.dumps(event)
    finally:
        holder[0] = None
    return event, wrapped[_WRAP:-_WRAP]


def _holder() -> list[Any]:
    holder = getattr(_local, "holder", None)
    if holder is None:
        holder = _local.holder = [None]
        outer: list[Any] = holder
        for _ in range(_WRAP - 1):
            outer = [outer]
        _local.outer = outer
    return holder


def _trim(value: Any, depth: int) -> Any:
    """`value` with containers more than `depth` levels below it replaced by MARKER."""
    if isinstance(value, dict):
        if depth <= 0:
            return {k: MARKER if isinstance(v, dict | list) else v for k, v in value.items()}
        return {k: _trim(v, depth - 1) for k, v in value.items()}
    if isinstance(value, list):
        if depth <= 0:
            return [MARKER if isinstance(v, dict | list) else v for v in value]
        return [_trim(v, depth - 1) for v in value]
    return value
