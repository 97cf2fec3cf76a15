"""The identity provider as its discovery document describes it, and the requests we make to
it, all through core.outbound's guard (resolved once; public addresses only, or
OIDC_ALLOWED_NETWORKS, where alone plain http is accepted; no redirects; a deadline; at most
`outbound.MAX_BODY` bytes)."""

import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
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


_lock = threading.Lock()
_provider: tuple[str, float, Provider] | None = None  # (issuer, fetched at, provider)
_jwks: tuple[str, float, dict[str, Any]] | None = None  # (jwks uri, fetched at, keys)


def reset() -> None:
    """Forget the cached discovery document and keys (tests, a changed OIDC_ISSUER)."""
    global _provider, _jwks
    with _lock:
        _provider = _jwks = None


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


def provider() -> Provider:
    """The configured provider's endpoints (discovered once an hour per process)."""
    global _provider
    issuer = settings.OIDC_ISSUER
    with _lock:
        cached = _provider
    if cached and cached[0] == issuer and time.monotonic() - cached[1] < DISCOVERY_TTL:
        return cached[2]
    found = _discover(issuer)
    with _lock:
        _provider = (issuer, time.monotonic(), found)
    return found


def signing_keys(kid: str | None) -> list[dict[str, Any]]:
    """The provider's JSON web keys, refetched when `kid` is one we have not seen yet."""
    global _jwks
    uri = provider().jwks_uri
    with _lock:
        cached = _jwks
    if cached and cached[0] == uri:
        age = time.monotonic() - cached[1]
        known = any(k.get("kid") == kid for k in cached[2].get("keys", []))
        if age < JWKS_TTL and (known or age < JWKS_REFETCH_AFTER):
            return list(cached[2].get("keys", []))
    response = _request(uri)
    if response.status != 200:
        raise ProviderError(f"the key set answered {response.status}")
    keys = _json(response, "key set")
    with _lock:
        _jwks = (uri, time.monotonic(), keys)
    return list(keys.get("keys", []))


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
