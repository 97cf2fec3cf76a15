"""Parsed source maps, cached per process and bounded by bytes, resolved with `symbolic`.

`symbolic` is Sentry's own Rust library (the one its symbolicator uses) with Python
bindings: it parses maps, index maps and `sourcesContent`, and names the original function
from the minified source's scopes. Parsing is the expensive part, so a parsed map stays in an
LRU of `ARTIFACT_CACHE_BYTES` (counted as what the parse holds: tokens plus the map's and
the minified file's text) and a burst of events from one release parses each map once.
"""

import logging
from dataclasses import dataclass, field

from cachetools import LRUCache
from django.conf import settings
from symbolic.sourcemap import SourceMapTokenMatch, SourceMapView, SourceView, decode_str, lib

from artifacts import storage
from artifacts.models import ArtifactFile

logger = logging.getLogger(__name__)


@dataclass
class ParsedMap:
    view: SourceMapView
    minified: SourceView | None
    cost: int
    _sources: dict[int, SourceView | None] = field(default_factory=dict)

    def lookup(self, line: int, col: int, function: str | None) -> SourceMapTokenMatch | None:
        """`line`/`col` 1-based as in a stack frame."""
        if self.minified is not None and function:
            return self.view.lookup(line - 1, col - 1, function, self.minified)
        return self.view.lookup(line - 1, col - 1)

    def source(self, src_id: int) -> SourceView | None:
        if src_id not in self._sources:
            self._sources[src_id] = self.view.get_sourceview(src_id)
        return self._sources[src_id]

    def context(self, src_id: int, line: int, around: int) -> tuple[int, list[str]] | None:
        """Lines `line - around` to `line + around` (0-based) of a source, and the first's
        index. SourceView's own slicing re-counts the lines for every line it returns (two
        calls into Rust each); this asks for each wanted line once."""
        source = self.source(src_id)
        if source is None:
            return None
        count = len(source)
        if line >= count:
            return None
        start, end = max(0, line - around), min(count, line + around + 1)
        get = lib.symbolic_sourceview_get_line
        return start, [decode_str(source._methodcall(get, i), free=True) for i in range(start, end)]


class Unreadable(Exception):
    """The stored map could not be parsed."""


Key = tuple[int, int | None]  # (map file id, minified file id or None)


def _cost(value: ParsedMap | Unreadable) -> int:
    return value.cost if isinstance(value, ParsedMap) else 1


class MapCache:
    """This process's parsed maps: an LRU bounded by what each parse holds. Only the digest
    worker's one thread uses it. Sized from ARTIFACT_CACHE_BYTES when made or cleared."""

    def __init__(self) -> None:
        self._lru: LRUCache[Key, ParsedMap | Unreadable] | None = None

    def _cache(self) -> LRUCache[Key, ParsedMap | Unreadable]:
        if self._lru is None:
            self._lru = LRUCache(maxsize=settings.ARTIFACT_CACHE_BYTES, getsizeof=_cost)
        return self._lru

    def clear(self) -> None:
        self._lru = None

    def size(self) -> int:
        return int(self._cache().currsize)

    def get(self, key: Key) -> ParsedMap | Unreadable | None:
        return self._cache().get(key)

    def put(self, key: Key, value: ParsedMap | Unreadable) -> None:
        cache = self._cache()
        if _cost(value) <= cache.maxsize:  # one larger than the whole cache is not kept
            cache[key] = value


maps = MapCache()


def clear() -> None:
    maps.clear()


def cached_bytes() -> int:
    return maps.size()


def get(key: Key) -> ParsedMap | Unreadable:
    """The parsed map for `(map file id, minified file id or None)`, parsed on a miss."""
    hit = maps.get(key)
    if hit is not None:
        return hit
    ids = [i for i in key if i is not None]
    rows = ArtifactFile.objects.filter(pk__in=ids).values_list("id", "content", "size")
    blobs = {file_id: (content, size) for file_id, content, size in rows}
    parsed = _parse(key, blobs)
    maps.put(key, parsed)
    return parsed


# A parsed token costs about 24 bytes in symbolic; the map's and the minified file's text
# are held too (measured in bench/symbolicate.py).
TOKEN_BYTES = 24


def _parse(key: tuple[int, int | None], blobs: dict) -> ParsedMap | Unreadable:
    map_id, minified_id = key
    limit = settings.ARTIFACT_MAX_FILE_BYTES
    try:
        view = SourceMapView.from_json_bytes(storage.unpack(blobs[map_id][0], limit))
        minified = None
        if minified_id is not None and minified_id in blobs:
            minified = SourceView.from_bytes(storage.unpack(blobs[minified_id][0], limit))
    except Exception as exc:  # a map deleted meanwhile, or one symbolic cannot read
        logger.info("source map %s unreadable: %s", map_id, type(exc).__name__)
        return Unreadable(str(exc)[:200])
    cost = len(view) * TOKEN_BYTES + sum(size for _, size in blobs.values())
    return ParsedMap(view, minified, cost)
