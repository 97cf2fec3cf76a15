"""The two SSO pages: start (off to the provider) and callback (back, signed in or told why
not). mozilla-django-oidc's views, with endpoints from discovery and failures shown."""

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts import oidc, oidc_discovery

logger = logging.getLogger(__name__)
FAILED = "Sign-in with SSO failed"
STALE = "this sign-in link is stale or was used already; start again"


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    messages.error(request, f"{FAILED}: {reason}.")
    return redirect("login")


class StartView(OIDCAuthenticationRequestView):
    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # the endpoint is discovered in get(), not read here

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc.enabled():
            raise Http404
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_discovery.provider().authorization_endpoint
        except oidc_discovery.ProviderError as exc:
            logger.error("SSO discovery failed: %s", exc)
            return _refused(request, "the identity provider cannot be reached")
        return super().get(request)

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        return {"redirect_uri": oidc.callback_url()}


class CallbackView(OIDCAuthenticationCallbackView):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc.enabled():
            raise Http404
        try:
            return super().get(request)
        except SuspiciousOperation as exc:  # an unknown or replayed state
            logger.warning("SSO callback refused: %s", exc)
            return _refused(request, STALE)

    def login_failure(self) -> HttpResponse:
        error = self.request.GET.get("error")
        reason = getattr(self.request, "sso_refusal", "") or (
            f"the identity provider answered {error[:100]}" if error else STALE
        )
        return _refused(self.request, reason)
