"""The request type of views that only signed-in users reach."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
