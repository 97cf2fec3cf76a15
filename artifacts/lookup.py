"""Which stored files belong to a frame: by debug id, else by release, dist and URL.

Only ever within the event's project. Each lookup is a batch of keys answered by one or two
queries; answers (found or not) are remembered per process for `TTL` seconds, so a burst of
events from one release asks the database once, and a bundle uploaded a moment ago is found
within seconds.
"""

import posixpath
from dataclasses import dataclass
from urllib.parse import urlsplit

from cachetools import TTLCache
from django.db.models import Q

from artifacts.models import ArtifactFile, FileKind

TTL = 10.0
_MAX_REMEMBERED = 50_000


@dataclass(frozen=True)
class Found:
    """A map's file id, the minified file's (if uploaded), and how they were found."""

    map_id: int | None
    minified_id: int | None
    map_url: str
    how: str  # "debug-id" or "release"
    error: str = ""  # why there is no map: "missing_bundle", "missing_file"


# Only the digest worker's one thread asks, so the cache needs no lock.
_remembered: TTLCache[tuple, Found] = TTLCache(maxsize=_MAX_REMEMBERED, ttl=TTL)


def _recall(key: tuple) -> Found | None:
    return _remembered.get(key)


def _remember(key: tuple, found: Found) -> None:
    _remembered[key] = found


def forget() -> None:
    _remembered.clear()


def by_debug_ids(project_id: int, debug_ids: set[str]) -> dict[str, Found]:
    out: dict[str, Found] = {}
    todo = set()
    for debug_id in debug_ids:
        hit = _recall(("d", project_id, debug_id))
        if hit is None:
            todo.add(debug_id)
        else:
            out[debug_id] = hit
    if todo:
        rows = (
            ArtifactFile.objects.filter(project_id=project_id, debug_id__in=todo)
            .order_by("bundle__created_at", "id")  # the newest upload wins
            .values_list("id", "debug_id", "kind", "url")
        )
        maps: dict[str, tuple[int, str]] = {}
        minified: dict[str, int] = {}
        for file_id, debug_id, kind, url in rows:
            if kind == FileKind.SOURCE_MAP:
                maps[debug_id] = (file_id, url)
            elif kind == FileKind.MINIFIED_SOURCE:
                minified[debug_id] = file_id
        for debug_id in todo:
            if debug_id in maps:
                map_id, url = maps[debug_id]
                found = Found(map_id, minified.get(debug_id), url, "debug-id")
            elif debug_id in minified:
                found = Found(None, minified[debug_id], "", "debug-id", "missing_file")
            else:
                found = Found(None, None, "", "debug-id", "missing_bundle")
            _remember(("d", project_id, debug_id), found)
            out[debug_id] = found
    return out


def url_candidates(abs_path: str) -> list[str]:
    """How sentry-cli may have named the file: the URL as is, without its query, and `~/path`
    (any host), as `--url-prefix '~/'` writes."""
    plain = abs_path.split("#", 1)[0]
    bare = plain.split("?", 1)[0]
    out = [abs_path, plain, bare]
    parts = urlsplit(bare)
    if parts.scheme and parts.path:
        out.append("~" + parts.path)
    elif bare.startswith("/"):
        out.append("~" + bare)
    return list(dict.fromkeys(out))


def _map_candidates(minified_url: str, sourcemap: str) -> list[str]:
    if not sourcemap:
        return [minified_url + ".map"]
    if "://" in sourcemap or sourcemap.startswith("~/"):
        return [sourcemap]
    base = minified_url.split("?", 1)[0]
    head, _, _ = base.rpartition("/")
    joined = posixpath.normpath(f"{head}/{sourcemap}") if head else sourcemap
    if "://" in head:  # normpath folds the scheme's `//`
        scheme, rest = head.split("://", 1)
        joined = f"{scheme}://" + posixpath.normpath(f"{rest}/{sourcemap}")
    return [joined]


def by_urls(project_id: int, release: str, dist: str, abs_paths: set[str]) -> dict[str, Found]:
    out: dict[str, Found] = {}
    todo = set()
    for path in abs_paths:
        hit = _recall(("u", project_id, release, dist, path))
        if hit is None:
            todo.add(path)
        else:
            out[path] = hit
    if not todo:
        return out
    candidates = {path: url_candidates(path) for path in todo}
    in_release = ArtifactFile.objects.filter(
        project_id=project_id, bundle__release=release, bundle__dist=dist
    ).order_by("bundle__created_at", "id")
    every = {c for cs in candidates.values() for c in cs}
    minified: dict[str, tuple[int, str, str]] = {}
    maps: dict[str, tuple[int, str]] = {}
    rows = in_release.filter(url__in=every | {c + ".map" for c in every}).values_list(
        "id", "kind", "url", "sourcemap", "debug_id"
    )
    for file_id, kind, url, sourcemap, debug_id in rows:
        if kind == FileKind.MINIFIED_SOURCE:
            minified[url] = (file_id, sourcemap, debug_id)
        elif kind == FileKind.SOURCE_MAP:
            maps[url] = (file_id, url)
    wanted: dict[str, list[str]] = {}
    for path, cs in candidates.items():
        hit_url = next((c for c in cs if c in minified), None)
        wanted[path] = (
            _map_candidates(hit_url, minified[hit_url][1]) if hit_url else [c + ".map" for c in cs]
        )
    extra = {u for us in wanted.values() for u in us if u not in maps}
    debug_ids = {m[2] for m in minified.values() if m[2]}
    if extra or debug_ids:
        query = Q(url__in=extra) | Q(debug_id__in=debug_ids)
        for file_id, url, debug_id in in_release.filter(
            query, kind=FileKind.SOURCE_MAP
        ).values_list("id", "url", "debug_id"):
            maps[url] = (file_id, url)
            if debug_id:
                maps["debug:" + debug_id] = (file_id, url)
    for path, cs in candidates.items():
        hit_url = next((c for c in cs if c in minified), None)
        minified_id = minified[hit_url][0] if hit_url else None
        debug_id = minified[hit_url][2] if hit_url else ""
        keys = wanted[path] + ([f"debug:{debug_id}"] if debug_id else [])
        map_hit = next((maps[k] for k in keys if k in maps), None)
        if map_hit:
            found = Found(map_hit[0], minified_id, map_hit[1], "release")
        else:
            found = Found(None, minified_id, "", "release", "missing_file")
        _remember(("u", project_id, release, dist, path), found)
        out[path] = found
    return out
