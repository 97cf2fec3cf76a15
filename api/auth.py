"""Bearer-token authentication for the API; sessions and CSRF play no part here."""

import functools
from collections.abc import Callable
from datetime import timedelta

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
    """A request that passed `api_view`: `api_user` is the token's owner."""

    api_user: User


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


def authenticate(token: str) -> User | None:
    """The active user owning `token`; None for an unknown token or an inactive user."""
    api_token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(token)).first()
    if api_token is None or not api_token.user.is_active:
        return None
    now = timezone.now()
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
    return api_token.user


def _unauthorized(detail: str, invalid: bool) -> HttpResponse:
    challenge = 'Bearer realm="api"' + (', error="invalid_token"' if invalid else "")
    return error(401, detail, headers={"WWW-Authenticate": challenge})


def has_scope(request: HttpRequest, scope: str) -> bool:
    """The one place a token's scopes will be checked (`project:releases`, …). Tokens carry
    every scope of their user today; a scope check plugs in here."""
    return True


def api_view(*methods: str, scopes: dict[str, str] | None = None) -> Callable:
    """Token-authenticated JSON view: sets `request.api_user`; 401/403/404/405 come back as
    JSON. `scopes` names the scope each method needs (`{"POST": "project:releases"}`)."""
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
            user = authenticate(token)
            if user is None:
                throttle.failed(keys)
                return _unauthorized(BAD_CREDENTIALS, invalid=True)
            if request.method not in allowed:
                response = error(405, f'Method "{request.method}" not allowed.')
                response["Allow"] = ", ".join(allowed)
                return response
            request.api_user = user  # type: ignore[attr-defined]  # now an ApiRequest
            scope = needed.get(request.method or "")
            if scope and not has_scope(request, scope):
                return error(403, f"This token lacks the {scope} scope.")
            try:
                return view(request, *args, **kwargs)
            except Http404:
                return error(404, NOT_FOUND)

        return login_not_required(csrf_exempt(wrapper))

    return decorator
