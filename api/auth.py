"""Bearer-token authentication for the API; sessions and CSRF play no part here."""

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import cast

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accounts import throttle
from api.models import ApiToken, hash_token
from api.responses import NOT_FOUND, error
from core.http import client_address

# Recording every use would cost a write per request; once in a while is enough to show it.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class ApiRequest(HttpRequest):
    """A request that passed `api_view`: `api_token` is its token, `api_user` its owner."""

    api_user: User
    api_token: ApiToken


NO_CREDENTIALS = "Authentication credentials were not provided."
BAD_CREDENTIALS = "Invalid token."
TOO_MANY = "Too many invalid tokens from this address; try again later."


def bearer_token(request: HttpRequest) -> str | None:
    """The token from `Authorization: Bearer <token>`, or None when there is none."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    return token or None


def authenticate(token: str) -> ApiToken | None:
    """The token, its user loaded; None for an unknown token or an inactive user."""
    api_token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(token)).first()
    if api_token is None or not api_token.user.is_active:
        return None
    now = timezone.now()
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
    return api_token


class MissingScope(Exception):
    """The token lacks a scope; answered as 403 by api_view."""

    def __init__(self, scope: str) -> None:
        super().__init__(f"This token does not have the {scope} scope.")


def require_scope(request: ApiRequest, scope: str) -> None:
    """Inside an api_view: raise MissingScope (-> 403) unless the request's token has `scope`.

    For views whose scope depends on more than the method; api_view(scopes=...) covers the rest.
    """
    if not has_scope(request, scope):
        raise MissingScope(scope)


def _unauthorized(detail: str, invalid: bool) -> HttpResponse:
    challenge = 'Bearer realm="api"' + (', error="invalid_token"' if invalid else "")
    return error(401, detail, headers={"WWW-Authenticate": challenge})


def has_scope(request: ApiRequest, scope: str) -> bool:
    """The one place a token's scopes are checked (api/scopes.py: a write scope includes its
    read scope)."""
    return request.api_token.grants(scope)


def api_view(*methods: str, scopes: dict[str, str] | None = None) -> Callable:
    """Token-authenticated JSON view: sets `request.api_user` and `request.api_token`;
    401/403/404/405/429 come back as JSON. `scopes` names the scope each method needs
    (`{"GET": "event:read", "PUT": "event:write"}`); a method without one needs a valid token.
    """
    allowed = tuple(m.upper() for m in methods)
    needed = {m.upper(): s for m, s in (scopes or {}).items()}

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            token = bearer_token(request)
            if token is None:
                return _unauthorized(NO_CREDENTIALS, invalid=False)
            # Bursts of bad tokens from one address: refused for a while, good ones too.
            keys = throttle.api_keys(client_address(request))
            lock = throttle.locked(keys)
            if lock is not None:
                return error(429, TOO_MANY, headers={"Retry-After": str(lock.retry_after())})
            api_token = authenticate(token)
            if api_token is None:
                throttle.failed(keys)
                return _unauthorized(BAD_CREDENTIALS, invalid=True)
            if request.method not in allowed:
                response = error(405, f'Method "{request.method}" not allowed.')
                response["Allow"] = ", ".join(allowed)
                return response
            signed = cast(ApiRequest, request)  # from here on it is one
            signed.api_token = api_token
            signed.api_user = api_token.user
            try:
                scope = needed.get(request.method or "")
                if scope:
                    require_scope(signed, scope)
                return view(signed, *args, **kwargs)
            except MissingScope as exc:
                return error(403, str(exc))
            except Http404:
                return error(404, NOT_FOUND)

        return login_not_required(csrf_exempt(wrapper))

    return decorator
