"""Sign-in with OpenID Connect: mozilla-django-oidc's backend, with our rules for the ID token
and for who may sign in.

mozilla-django-oidc runs the flow (authorization code with PKCE, state and nonce kept in the
session, checked and dropped on the callback). Here: the endpoints come from discovery; every
request to the provider goes through the outbound guard; the ID token's signature is checked
against the provider's keys, and so are its issuer, audience, expiry and nonce; its claims
must carry a verified email in an allowed domain. A refusal leaves its reason on the request
(`request.sso_refusal`) for the callback view to show.
"""

import logging
import re
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts import oidc_discovery

logger = logging.getLogger(__name__)

# Clock skew we forgive between us and the provider.
LEEWAY_SECONDS = 60
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "sub")


class Refused(Exception):
    """The provider's answer is not good enough to sign anyone in; the message says why.

    Not a SuspiciousOperation: mozilla-django-oidc swallows those, and with them the reason.
    """


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def callback_url() -> str:
    # BASE_URL, not the request's Host: the redirect URI is registered with the provider.
    return settings.BASE_URL + reverse("accounts:sso_callback")


def email_allowed(email: str) -> bool:
    domains = settings.OIDC_ALLOWED_EMAIL_DOMAINS
    return not domains or email.rsplit("@", 1)[-1].lower() in domains


def verify_id_token(token: str, nonce: str | None) -> dict[str, Any]:
    """The ID token's claims, once its signature, issuer, audience, expiry and nonce hold."""
    provider = oidc_discovery.provider()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise Refused(f"the ID token is malformed ({exc})") from exc
    algorithm = header.get("alg")
    if algorithm not in provider.algorithms:
        raise Refused(f"the ID token is signed with {algorithm!r}")
    kid = header.get("kid")
    candidates = [
        k
        for k in oidc_discovery.signing_keys(kid)
        if (kid is None or k.get("kid") == kid) and k.get("alg", algorithm) == algorithm
    ]
    if not candidates:
        raise Refused("no key of the provider matches the ID token")
    try:
        claims = jwt.decode(
            token,
            jwt.PyJWK(candidates[0]).key,
            algorithms=[algorithm],
            audience=settings.OIDC_CLIENT_ID,
            issuer=provider.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.InvalidTokenError as exc:  # signature, expiry, audience, issuer, missing claim
        raise Refused(f"the ID token is not valid: {exc}") from exc
    # With several audiences, azp must be us (OpenID Connect Core 3.1.3.7).
    if isinstance(claims.get("aud"), list) and claims.get("azp", settings.OIDC_CLIENT_ID) != (
        settings.OIDC_CLIENT_ID
    ):
        raise Refused("the ID token was issued to another client")
    if nonce is None or claims.get("nonce") != nonce:
        raise Refused("the ID token's nonce does not match this sign-in")
    return claims


def check_claims(claims: dict[str, Any]) -> str:
    """The verified email these claims sign in; Refused says why they may not."""
    email = str(claims.get("email") or "").strip()
    if not email or "@" not in email:
        raise Refused("the provider sent no email address")
    if claims.get(settings.OIDC_EMAIL_VERIFIED_CLAIM) not in (True, "true"):
        raise Refused(f"the provider has not verified {email}")
    if not email_allowed(email):
        raise Refused(f"{email} is not in an allowed domain")
    return email


def unique_username(claims: dict[str, Any], email: str) -> str:
    User = get_user_model()
    wanted = str(claims.get("preferred_username") or email.split("@", 1)[0])
    base = re.sub(r"[^\w.@+-]", "", wanted)[:140] or "user"
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


class OIDCBackend(OIDCAuthenticationBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not super().__init__: it wants fixed endpoints, ours come from discovery when a
        # sign-in actually happens (this backend is also built for every password sign-in).
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_CLIENT_SECRET

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if request is None or not enabled() or "username" in kwargs or "password" in kwargs:
            return None  # password sign-ins are ModelBackend's
        try:
            return super().authenticate(request, **kwargs)
        except (Refused, oidc_discovery.ProviderError) as exc:
            request.sso_refusal = str(exc)  # type: ignore[attr-defined]
            logger.warning("SSO sign-in refused: %s", exc)
            return None

    def get_token(self, payload: dict[str, str]) -> dict[str, Any]:
        payload["redirect_uri"] = callback_url()
        return oidc_discovery.exchange_code(payload)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        if not token:
            raise Refused("the provider sent no ID token")
        return verify_id_token(token, kwargs.get("nonce"))

    def get_userinfo(self, access_token: str, id_token: str, payload: dict) -> dict[str, Any]:
        return payload  # the signed ID token's claims: no second, unsigned source

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        check_claims(claims)  # raises Refused, which authenticate() reports
        return True

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        return self.UserModel.objects.filter(email__iexact=check_claims(claims))

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict) -> User | None:
        try:
            user = super().get_or_create_user(access_token, id_token, payload)
        except SuspiciousOperation as exc:  # e.g. two accounts share the email
            raise Refused(str(exc)) from exc
        if user is None:
            raise Refused("there is no Bugtrack account for this email; ask an administrator")
        if not user.is_active:
            raise Refused("this Bugtrack account is deactivated")
        return user

    def create_user(self, claims: dict[str, Any]) -> User:
        email = check_claims(claims)
        user = self.UserModel.objects.create_user(
            unique_username(claims, email),
            email=email,
            first_name=str(claims.get("given_name") or "")[:150],
            last_name=str(claims.get("family_name") or "")[:150],
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        logger.info("SSO created user %s for %s", user.pk, email)
        return user
