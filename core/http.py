"""The request type of views that only signed-in users reach, and who the client is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest

if TYPE_CHECKING:  # the model is only a type here; core imports no app at run time
    from django.contrib.auth.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request that LoginRequiredMiddleware let through: `user` is a User, never anonymous.

    Only an annotation for type checkers (views still receive Django's HttpRequest): without
    it `request.user` is `User | AnonymousUser` and every use needs a check that cannot fail.
    Views marked `login_not_required` must keep taking a plain HttpRequest.
    """

    user: User


def client_address(request: HttpRequest) -> str:
    """The client's IP address: the proxy's X-Forwarded-For only when BEHIND_PROXY is set.

    The last entry is the one our proxy added; earlier ones are whatever the client sent.
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]
