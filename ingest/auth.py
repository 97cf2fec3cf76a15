"""Which DSN key a request carries, and whether it may send to the project (cached)."""

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from cachetools import TLRUCache
from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest

from ingest.errors import Forbidden, Unauthorized
from projects.models import Project, ProjectKey

_KEY = re.compile(r"^[0-9a-fA-F]{32}$")
MAX_CACHED_KEYS = 10_000


@dataclass(frozen=True)
class KeyInfo:
    project_id: int
    is_active: bool
    rate_limit_per_minute: int | None


def parse_auth_header(value: str) -> dict[str, str]:
    """`Sentry sentry_key=abc, sentry_version=7` -> {"sentry_key": "abc", ...}."""
    value = value.strip()
    if value[:6].lower() == "sentry" and (len(value) == 6 or value[6] in " \t"):
        value = value[6:]
    fields: dict[str, str] = {}
    for part in value.split(","):
        name, sep, val = part.partition("=")
        if sep:
            fields[name.strip().lower()] = val.strip().strip('"')
    return fields


def key_from_dsn(dsn: object) -> str | None:
    if not isinstance(dsn, str):
        return None
    try:
        return urlsplit(dsn).username or None
    except ValueError:
        return None


def key_from_request(request: HttpRequest) -> str | None:
    """The key from X-Sentry-Auth, `Authorization: Sentry ...` or the sentry_key parameter."""
    header = request.META.get("HTTP_X_SENTRY_AUTH")
    if header:
        return parse_auth_header(header).get("sentry_key")
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if authorization[:7].lower() == "sentry ":
        return parse_auth_header(authorization).get("sentry_key")
    return request.GET.get("sentry_key") or None


class KeyCache:
    """This process's memory of key lookups, unknown keys included (as None).

    An entry lives INGEST_KEY_CACHE_SECONDS (read when it is stored), so a key revoked in
    another process stops working within that time without a query per request; saves in
    this process clear the cache at once (the signals below). At most `maxsize` keys, least
    recently used out first, so random keys from a hostile client cannot grow memory.
    cachetools caches are not thread-safe and gthread workers share this one: `_lock`.
    """

    def __init__(
        self, maxsize: int = MAX_CACHED_KEYS, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._lock = threading.Lock()
        self._entries: TLRUCache[str, KeyInfo | None] = TLRUCache(maxsize, _expires, timer)
        self._generation = 0  # bumped by clear(): a lookup that raced with it is not stored

    def lookup(self, public_key: str) -> KeyInfo | None:
        with self._lock:
            try:
                return self._entries[public_key]  # one lookup (.get() would make two)
            except KeyError:
                generation = self._generation
        info = _read_key(public_key)  # no query under the lock
        with self._lock:
            if generation == self._generation:
                self._entries[public_key] = info
        return info

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _expires(_key: str, _info: KeyInfo | None, now: float) -> float:
    return now + settings.INGEST_KEY_CACHE_SECONDS


def _read_key(public_key: str) -> KeyInfo | None:
    row = (
        ProjectKey.objects.filter(public_key=public_key)
        .values_list("project_id", "is_active", "project__rate_limit_per_minute")
        .first()
    )
    return KeyInfo(*row) if row else None


keys = KeyCache()  # the one per process


def lookup_key(public_key: str) -> KeyInfo | None:
    return keys.lookup(public_key)


def clear_key_cache(**_: object) -> None:
    keys.clear()


def authenticate(public_key: str | None, project_id: int) -> KeyInfo:
    if not public_key:
        raise Unauthorized("missing sentry_key")
    if not _KEY.match(public_key):
        raise Unauthorized("invalid sentry_key")
    info = keys.lookup(public_key.lower())
    if info is None:
        raise Unauthorized("unknown sentry_key")
    if not info.is_active:
        raise Forbidden("sentry_key is revoked")
    if info.project_id != project_id:
        raise Forbidden(f"sentry_key does not belong to project {project_id}")
    return info


# Changes made in this process take effect at once; other processes wait out the TTL.
for _model in (ProjectKey, Project):
    post_save.connect(clear_key_cache, sender=_model, dispatch_uid=f"ingest-keys-{_model}")
    post_delete.connect(clear_key_cache, sender=_model, dispatch_uid=f"ingest-keys-d-{_model}")
