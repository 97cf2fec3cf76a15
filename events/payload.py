"""Event payload storage: normalized event JSON (orjson), zstd-compressed.

A project with a trained dictionary (`events/dictionaries.py`) has its new events compressed
with its newest one. zstd writes the dictionary's id into every frame header (0: none), so
`decode()` needs only the blob: it reads the id, loads that dictionary once per process and
decompresses. Frames written before any dictionary existed (id 0) decode as before.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
import zstandard

from events.models import PayloadDictionary

LEVEL = 3
# How long a process trusts its idea of a project's newest dictionary: a dictionary trained
# by another worker is used here at most this much later.
CURRENT_TTL = 60.0
# Per process: dictionaries (up to 64 KB, ~150 KB once zstd has digested one) and, per
# thread, zstd contexts built on them (a compressor holds ~0.5 MB, a decompressor ~40 KB).
DICTIONARIES_CACHED = 64
COMPRESSORS_CACHED = 32
DECOMPRESSORS_CACHED = 32

K = TypeVar("K")
V = TypeVar("V")


class UnknownDictionary(LookupError):
    """The frame names a dictionary that is not in `issues_payloaddictionary`."""


class _LRU(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> V:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)
        return value


@dataclass
class Usage:
    """What `encode()` stored for one project with one dictionary (0: none)."""

    dict_id: int
    events: int = 0
    raw_bytes: int = 0
    stored_bytes: int = 0


_dictionaries: _LRU[int, zstandard.ZstdCompressionDict] = _LRU(DICTIONARIES_CACHED)
_dictionaries_lock = threading.Lock()
# zstd contexts are not safe to share between threads (gunicorn may run threads).
_local = threading.local()
_current: dict[int, tuple[float, int]] = {}  # project id -> (good until, dict id)
_usage: dict[int, Usage] = {}  # project id -> since the last take_usage()


def encode(data: dict[str, Any], project_id: int | None = None, json: bytes | None = None) -> bytes:
    """Compress an event; with the project's newest dictionary when it has one. `json` is
    `data` already serialized, if the caller has it."""
    raw = orjson.dumps(data) if json is None else json
    dict_id = 0 if project_id is None else _current_dict_id(project_id)
    blob = _compressor(dict_id).compress(raw)
    if project_id is not None:
        usage = _usage.get(project_id)
        if usage is None or usage.dict_id != dict_id:
            usage = _usage[project_id] = Usage(dict_id)
        usage.events += 1
        usage.raw_bytes += len(raw)
        usage.stored_bytes += len(blob)
    return blob


def decompress(blob: bytes | memoryview) -> bytes:
    """The event's JSON bytes; raises UnknownDictionary if its dictionary is gone."""
    blob = bytes(blob)
    return _decompressor(dict_id_of(blob)).decompress(blob)


def decode(blob: bytes | memoryview) -> dict[str, Any]:
    return orjson.loads(decompress(blob))


def dict_id_of(blob: bytes | memoryview) -> int:
    """The dictionary a stored payload was compressed with (0: none)."""
    return zstandard.get_frame_parameters(bytes(blob)).dict_id


def use_dictionary(project_id: int, dictionary: zstandard.ZstdCompressionDict) -> None:
    """Compress this project's events with `dictionary` from now on (in this process)."""
    with _dictionaries_lock:
        _dictionaries.put(dictionary.dict_id(), dictionary)
    _current[project_id] = (time.monotonic() + CURRENT_TTL, dictionary.dict_id())


def take_usage() -> dict[int, Usage]:
    """Per project, what was encoded since the last call (for events/dictionaries.py)."""
    global _usage
    taken, _usage = _usage, {}
    return taken


def forget(project_id: int | None = None) -> None:
    """Drop cached state: one project's newest dictionary, or everything (tests)."""
    global _dictionaries
    if project_id is not None:
        _current.pop(project_id, None)
        return
    _current.clear()
    _usage.clear()
    with _dictionaries_lock:
        _dictionaries = _LRU(DICTIONARIES_CACHED)
    _local.__dict__.clear()


def _current_dict_id(project_id: int) -> int:
    now = time.monotonic()
    known = _current.get(project_id)
    if known is not None and known[0] > now:
        return known[1]
    newest = (
        PayloadDictionary.objects.filter(project_id=project_id)
        .order_by("-id")
        .values_list("dict_id", flat=True)
        .first()
    )
    _current[project_id] = (now + CURRENT_TTL, newest or 0)
    return newest or 0


def _dictionary(dict_id: int) -> zstandard.ZstdCompressionDict:
    with _dictionaries_lock:
        found = _dictionaries.get(dict_id)
    if found is not None:
        return found
    data = PayloadDictionary.objects.filter(dict_id=dict_id).values_list("data", flat=True).first()
    if data is None:
        raise UnknownDictionary(
            f"payload was compressed with zstd dictionary {dict_id}, "
            "which is not in issues_payloaddictionary"
        )
    found = zstandard.ZstdCompressionDict(bytes(data))
    with _dictionaries_lock:
        return _dictionaries.put(dict_id, found)


def _contexts(name: str, size: int) -> _LRU:
    cache = getattr(_local, name, None)
    if cache is None:
        cache = _LRU(size)
        setattr(_local, name, cache)
    return cache


def _compressor(dict_id: int) -> zstandard.ZstdCompressor:
    cache = _contexts("compressors", COMPRESSORS_CACHED)
    found = cache.get(dict_id)
    if found is None:
        kwargs = {"dict_data": _dictionary(dict_id)} if dict_id else {}
        found = cache.put(dict_id, zstandard.ZstdCompressor(level=LEVEL, **kwargs))
    return found


def _decompressor(dict_id: int) -> zstandard.ZstdDecompressor:
    cache = _contexts("decompressors", DECOMPRESSORS_CACHED)
    found = cache.get(dict_id)
    if found is None:
        kwargs = {"dict_data": _dictionary(dict_id)} if dict_id else {}
        found = cache.put(dict_id, zstandard.ZstdDecompressor(**kwargs))
    return found
