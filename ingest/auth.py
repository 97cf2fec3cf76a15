"""Which DSN key a request carries, and whether it may send to the project (cached)."""

import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

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


# public key -> (expires at, info or None for unknown keys); per process, short-lived, so a
# revoked key stops working within INGEST_KEY_CACHE_SECONDS without a query per request.
_cache: dict[str, tuple[float, KeyInfo | None]] = {}


def lookup_key(public_key: str) -> KeyInfo | None:
    now = time.monotonic()
    hit = _cache.get(public_key)
    if hit is not None and hit[0] > now:
        return hit[1]
    row = (
        ProjectKey.objects.filter(public_key=public_key)
        .values_list("project_id", "is_active", "project__rate_limit_per_minute")
        .first()
    )
    info = KeyInfo(*row) if row else None
    if len(_cache) >= MAX_CACHED_KEYS:
        _cache.clear()  # random keys from a hostile client must not grow memory
    _cache[public_key] = (now + settings.INGEST_KEY_CACHE_SECONDS, info)
    return info


def authenticate(public_key: str | None, project_id: int) -> KeyInfo:
    if not public_key:
        raise Unauthorized("missing sentry_key")
    if not _KEY.match(public_key):
        raise Unauthorized("invalid sentry_key")
    info = lookup_key(public_key.lower())
    if info is None:
        raise Unauthorized("unknown sentry_key")
    if not info.is_active:
        raise Forbidden("sentry_key is revoked")
    if info.project_id != project_id:
        raise Forbidden(f"sentry_key does not belong to project {project_id}")
    return info


def clear_key_cache(**_: object) -> None:
    _cache.clear()


# Changes made in this process take effect at once; other processes wait out the TTL.
for _model in (ProjectKey, Project):
    post_save.connect(clear_key_cache, sender=_model, dispatch_uid=f"ingest-keys-{_model}")
    post_delete.connect(clear_key_cache, sender=_model, dispatch_uid=f"ingest-keys-d-{_model}")
