"""Parsed source maps, cached per process and bounded by bytes, resolved with `symbolic`.

`symbolic` is Sentry's own Rust library (the one its symbolicator uses) with Python
bindings: it parses maps, index maps and `sourcesContent`, and names the original function
from the minified source's scopes. Parsing is the expensive part, so a parsed map stays in an
LRU of `ARTIFACT_CACHE_BYTES` (counted as the stored map and minified file's sizes, a
measured stand-in for what the parse holds, see bench/symbolicate.py) and a burst of events
from one release parses each map once.
"""

import logging
from collections import OrderedDict
from dataclasses import dataclass, field

from django.conf import settings
from symbolic.sourcemap import SourceMapTokenMatch, SourceMapView, SourceView

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


class Unreadable(Exception):
    """The stored map could not be parsed."""


_cache: OrderedDict[tuple[int, int | None], ParsedMap | Unreadable] = OrderedDict()
_cached_bytes = 0


def clear() -> None:
    global _cached_bytes
    _cache.clear()
    _cached_bytes = 0


def cached_bytes() -> int:
    return _cached_bytes


def load(keys: set[tuple[int, int | None]]) -> dict[tuple[int, int | None], ParsedMap | Unreadable]:
    """Parsed maps for `(map file id, minified file id or None)`; one query for the misses."""
    out = {}
    misses = set()
    for key in keys:
        hit = _cache.get(key)
        if hit is None:
            misses.add(key)
        else:
            _cache.move_to_end(key)
            out[key] = hit
    if misses:
        ids = {i for key in misses for i in key if i is not None}
        blobs = dict(ArtifactFile.objects.filter(pk__in=ids).values_list("id", "content"))
        sizes = dict(ArtifactFile.objects.filter(pk__in=ids).values_list("id", "size"))
        for key in misses:
            out[key] = _parse(key, blobs, sizes)
            _store(key, out[key])
    return out


def _parse(key: tuple[int, int | None], blobs: dict, sizes: dict) -> ParsedMap | Unreadable:
    map_id, minified_id = key
    limit = settings.ARTIFACT_MAX_FILE_BYTES
    try:
        view = SourceMapView.from_json_bytes(storage.unpack(blobs[map_id], limit))
        minified = None
        if minified_id is not None and minified_id in blobs:
            minified = SourceView.from_bytes(storage.unpack(blobs[minified_id], limit))
    except Exception as exc:  # a map deleted meanwhile, or one symbolic cannot read
        logger.info("source map %s unreadable: %s", map_id, type(exc).__name__)
        return Unreadable(str(exc)[:200])
    cost = sizes.get(map_id, 0) + sizes.get(minified_id, 0) if minified_id else sizes.get(map_id, 0)
    return ParsedMap(view, minified, max(cost, 1))


def _store(key: tuple[int, int | None], value: ParsedMap | Unreadable) -> None:
    global _cached_bytes
    cost = value.cost if isinstance(value, ParsedMap) else 1
    if cost > settings.ARTIFACT_CACHE_BYTES:
        return
    _cache[key] = value
    _cached_bytes += cost
    while _cached_bytes > settings.ARTIFACT_CACHE_BYTES and _cache:
        _, old = _cache.popitem(last=False)
        _cached_bytes -= old.cost if isinstance(old, ParsedMap) else 1
