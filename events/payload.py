"""Event payload storage: normalized event JSON (orjson), zstd-compressed.

A project with a trained dictionary (`events/dictionaries.py`) has its new events compressed
with its newest one. zstd writes the dictionary's id into every frame header (0: none), so
`decode()` needs only the blob: it reads the id, loads that dictionary once per process and
decompresses. Frames written before any dictionary existed (id 0) decode as before.

What a process keeps for this is one `Codec`, `codec` below; the module's functions are its
methods.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import zstandard
from cachetools import LRUCache, TTLCache

from events.models import PayloadDictionary

LEVEL = 3
# How long a process trusts its idea of a project's newest dictionary: a dictionary trained
# by another worker is used here at most this much later.
CURRENT_TTL = 60.0
PROJECTS_CACHED = 10_000  # projects whose newest dictionary id is remembered (a few bytes each)
# Per process: dictionaries (up to 64 KB, ~150 KB once zstd has digested one) and, per
# thread, zstd contexts built on them (a compressor holds ~0.5 MB, a decompressor ~40 KB).
DICTIONARIES_CACHED = 64
COMPRESSORS_CACHED = 32
DECOMPRESSORS_CACHED = 32


class UnknownDictionary(LookupError):
    """The frame names a dictionary that is not in `issues_payloaddictionary`."""


@dataclass
class Usage:
    """What `encode()` stored for one project with one dictionary (0: none)."""

    dict_id: int
    events: int = 0
    raw_bytes: int = 0
    stored_bytes: int = 0


class _Contexts:
    """One thread's zstd contexts by dictionary id: zstd contexts must not be shared between
    threads (gunicorn may run several), so each thread builds its own."""

    def __init__(self) -> None:
        self.compressors: LRUCache[int, zstandard.ZstdCompressor] = LRUCache(COMPRESSORS_CACHED)
        self.decompressors: LRUCache[int, zstandard.ZstdDecompressor] = LRUCache(
            DECOMPRESSORS_CACHED
        )


class Codec:
    """One process's payload compression state: each project's newest dictionary id (trusted
    for CURRENT_TTL), the dictionaries loaded so far, per-thread zstd contexts on them, and
    what `encode()` stored since the last `take_usage()`.

    The shared caches are cachetools caches, which are not thread-safe (even a read reorders
    an LRU), so they are used under `_lock`; no query runs while it is held.
    """

    def __init__(self, timer: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._current: TTLCache[int, int] = TTLCache(PROJECTS_CACHED, CURRENT_TTL, timer)
        self._dictionaries: LRUCache[int, zstandard.ZstdCompressionDict] = LRUCache(
            DICTIONARIES_CACHED
        )
        self._usage: dict[int, Usage] = {}  # project id -> since the last take_usage()
        self._local = threading.local()  # .contexts: that thread's _Contexts

    def encode(
        self, data: dict[str, Any], project_id: int | None = None, json: bytes | None = None
    ) -> bytes:
        """Compress an event; with the project's newest dictionary when it has one. `json` is
        `data` already serialized, if the caller has it."""
        raw = orjson.dumps(data) if json is None else json
        dict_id = 0 if project_id is None else self._current_dict_id(project_id)
        blob = self._compressor(dict_id).compress(raw)
        if project_id is not None:
            self._note_usage(project_id, dict_id, len(raw), len(blob))
        return blob

    def decompress(self, blob: bytes | memoryview) -> bytes:
        """The event's JSON bytes; raises UnknownDictionary if its dictionary is gone."""
        blob = bytes(blob)
        return self._decompressor(dict_id_of(blob)).decompress(blob)

    def decode(self, blob: bytes | memoryview) -> dict[str, Any]:
        return orjson.loads(self.decompress(blob))

    def use_dictionary(self, project_id: int, dictionary: zstandard.ZstdCompressionDict) -> None:
        """Compress this project's events with `dictionary` from now on (in this process)."""
        with self._lock:
            self._dictionaries[dictionary.dict_id()] = dictionary
            self._current[project_id] = dictionary.dict_id()

    def take_usage(self) -> dict[int, Usage]:
        """Per project, what was encoded since the last call (for events/dictionaries.py)."""
        with self._lock:
            taken, self._usage = self._usage, {}
        return taken

    def forget(self, project_id: int | None = None) -> None:
        """Drop cached state: one project's newest dictionary, or everything (tests)."""
        with self._lock:
            if project_id is not None:
                self._current.pop(project_id, None)
                return
            self._current.clear()
            self._usage.clear()
            self._dictionaries.clear()
            self._local = threading.local()  # every thread's contexts, not just this one's

    def _note_usage(self, project_id: int, dict_id: int, raw: int, stored: int) -> None:
        with self._lock:
            usage = self._usage.get(project_id)
            if usage is None or usage.dict_id != dict_id:
                usage = self._usage[project_id] = Usage(dict_id)
            usage.events += 1
            usage.raw_bytes += raw
            usage.stored_bytes += stored

    def _current_dict_id(self, project_id: int) -> int:
        with self._lock:
            try:
                return self._current[project_id]  # one lookup (.get() would make two)
            except KeyError:
                pass
        newest = (
            PayloadDictionary.objects.filter(project_id=project_id)
            .order_by("-id")
            .values_list("dict_id", flat=True)
            .first()
        ) or 0
        with self._lock:
            self._current[project_id] = newest
        return newest

    def _dictionary(self, dict_id: int) -> zstandard.ZstdCompressionDict:
        with self._lock:
            found = self._dictionaries.get(dict_id)
        if found is not None:
            return found
        data = (
            PayloadDictionary.objects.filter(dict_id=dict_id).values_list("data", flat=True).first()
        )
        if data is None:
            raise UnknownDictionary(
                f"payload was compressed with zstd dictionary {dict_id}, "
                "which is not in issues_payloaddictionary"
            )
        found = zstandard.ZstdCompressionDict(bytes(data))
        with self._lock:
            self._dictionaries[dict_id] = found
        return found

    def _contexts(self) -> _Contexts:
        local = self._local  # forget() may swap it: use one
        contexts = getattr(local, "contexts", None)
        if contexts is None:
            contexts = local.contexts = _Contexts()
        return contexts

    def _compressor(self, dict_id: int) -> zstandard.ZstdCompressor:
        cache = self._contexts().compressors
        try:
            return cache[dict_id]
        except KeyError:
            dictionary = self._dictionary(dict_id) if dict_id else None
            found = cache[dict_id] = zstandard.ZstdCompressor(level=LEVEL, dict_data=dictionary)
            return found

    def _decompressor(self, dict_id: int) -> zstandard.ZstdDecompressor:
        cache = self._contexts().decompressors
        try:
            return cache[dict_id]
        except KeyError:
            dictionary = self._dictionary(dict_id) if dict_id else None
            found = cache[dict_id] = zstandard.ZstdDecompressor(dict_data=dictionary)
            return found


def dict_id_of(blob: bytes | memoryview) -> int:
    """The dictionary a stored payload was compressed with (0: none)."""
    return zstandard.get_frame_parameters(bytes(blob)).dict_id


codec = Codec()  # the one per process
encode = codec.encode
decompress = codec.decompress
decode = codec.decode
use_dictionary = codec.use_dictionary
take_usage = codec.take_usage
forget = codec.forget
