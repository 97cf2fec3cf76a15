"""The identity provider as its discovery document describes it, and the requests we make to
it, all through core.outbound's guard (resolved once; public addresses only, or
OIDC_ALLOWED_NETWORKS, where alone plain http is accepted; no redirects; a deadline; at most
`outbound.MAX_BODY` bytes)."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
from cachetools import TTLCache
from django.conf import settings

from core import outbound

DISCOVERY_TTL = 3600.0
JWKS_TTL = 300.0
# An unknown key id refetches the keys (the provider rotated them), at most this often.
JWKS_REFETCH_AFTER = 30.0
# The only algorithms we accept: asymmetric signatures checked against the provider's keys.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


class ProviderError(Exception):
    """The provider could not be reached or answered something unusable."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]


def _request(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> outbound.Response:
    allowed = settings.OIDC_ALLOWED_NETWORKS
    try:
        target = outbound.check(url, allowed=allowed)  # the one lookup
        if target.scheme == "http" and not outbound.in_networks(target.address, allowed):
            raise ProviderError("plain http only to OIDC_ALLOWED_NETWORKS; use https")
        response = outbound.request(
            method,
            url,
            body,
            {"Accept": "application/json", **(headers or {})},
            resolver=lambda host, port: [target.address],
            timeout=settings.OIDC_TIMEOUT,
            allowed=allowed,
        )
    except outbound.OutboundError as exc:
        raise ProviderError(str(exc)) from exc
    if 300 <= response.status < 400:
        raise ProviderError(f"the provider answered {response.status}: redirects are not followed")
    if len(response.body) >= outbound.MAX_BODY:
        raise ProviderError(f"the provider's answer is larger than {outbound.MAX_BODY} bytes")
    return response


def _json(response: outbound.Response, what: str) -> dict[str, Any]:
    try:
        data = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        raise ProviderError(f"the provider's {what} is not JSON") from None
    if not isinstance(data, dict):
        raise ProviderError(f"the provider's {what} is not a JSON object")
    return data


def _discover(issuer: str) -> Provider:
    response = _request(issuer + "/.well-known/openid-configuration")
    if response.status != 200:
        raise ProviderError(f"discovery answered {response.status}")
    doc = _json(response, "discovery document")
    # OpenID Connect Discovery 1.0, 4.3: the document must name exactly the issuer we asked.
    if str(doc.get("issuer", "")).rstrip("/") != issuer:
        raise ProviderError(f"discovery names issuer {doc.get('issuer')!r}, not {issuer!r}")
    try:
        endpoints = [str(doc[k]) for k in ("authorization_endpoint", "token_endpoint", "jwks_uri")]
    except KeyError as exc:
        raise ProviderError(f"discovery has no {exc.args[0]}") from None
    offered = doc.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = tuple(a for a in ALGORITHMS if a in offered)
    if not algorithms:
        raise ProviderError(f"the provider signs ID tokens only with {offered}")
    authorization, token, jwks = endpoints
    # ID tokens carry the issuer exactly as the document spells it (Authentik: trailing slash).
    return Provider(str(doc["issuer"]), authorization, token, jwks, algorithms)


class ProviderCache:
    """What this process knows of the provider: its discovery document (an hour, per issuer,
    so a changed OIDC_ISSUER is discovered at once) and its key set (5 minutes, per URI).
    cachetools caches are not thread-safe and threads share this one: `_lock`, never held
    while fetching. `clock` is the caches' timer (tests move it)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._providers: TTLCache[str, Provider] = TTLCache(1, DISCOVERY_TTL, timer=self._now)
        # uri -> (fetched at, key set): the age decides when an unknown key id refetches.
        self._keys: TTLCache[str, tuple[float, dict[str, Any]]] = TTLCache(
            1, JWKS_TTL, timer=self._now
        )

    def _now(self) -> float:
        return self.clock()

    def reset(self) -> None:
        """Forget the discovery document and keys (tests, a changed provider)."""
        with self._lock:
            self._providers.clear()
            self._keys.clear()

    def provider(self) -> Provider:
        """The configured provider's endpoints."""
        issuer = settings.OIDC_ISSUER
        with self._lock:
            found = self._providers.get(issuer)
        if found is None:
            found = _discover(issuer)
            with self._lock:
                self._providers[issuer] = found
        return found

    def signing_keys(self, kid: str | None) -> list[dict[str, Any]]:
        """The provider's JSON web keys, refetched when `kid` is one we have not seen yet
        (the provider rotated its keys), at most every JWKS_REFETCH_AFTER seconds."""
        uri = self.provider().jwks_uri
        with self._lock:
            cached = self._keys.get(uri)
        if cached is not None:
            fetched_at, keys = cached
            known = any(k.get("kid") == kid for k in keys.get("keys", []))
            if known or self.clock() - fetched_at < JWKS_REFETCH_AFTER:
                return list(keys.get("keys", []))
        response = _request(uri)
        if response.status != 200:
            raise ProviderError(f"the key set answered {response.status}")
        keys = _json(response, "key set")
        with self._lock:
            self._keys[uri] = (self.clock(), keys)
        return list(keys.get("keys", []))


cache = ProviderCache()
provider = cache.provider
signing_keys = cache.signing_keys
reset = cache.reset


def exchange_code(form: dict[str, str]) -> dict[str, Any]:
    """POST the authorization code to the token endpoint; its JSON answer."""
    response = _request(
        provider().token_endpoint,
        method="POST",
        body=urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if response.status != 200:
        error = _json(response, "token error").get("error", "") if response.body else ""
        raise ProviderError(f"the token endpoint refused the code ({response.status} {error})")
    return _json(response, "token response")
