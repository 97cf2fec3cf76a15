"""Cross-cutting middleware: the ingest shortcut, login-by-default and security headers."""

import re
from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

# Tolerates a path prefix before /api/ and duplicate slashes, as Sentry's own relay does.
INGEST_PATH = re.compile(r"^(?:/[^?]*)?/+api/+(?P<project_id>\d+)/+(?P<endpoint>envelope|store)/*$")

Handler = Callable[[HttpRequest], HttpResponse]


class IngestShortcutMiddleware:
    """Answer SDK traffic before the session/auth/CSRF/messages middleware ever runs.

    Under gunicorn, ingest.wsgi answers it even earlier, before Django's handler; this
    catches what reaches Django's handler anyway (the test client, other WSGI servers).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = INGEST_PATH.match(request.path_info)
        if match is None:
            return self.get_response(request)
        from ingest.views import serve

        return serve(request, int(match["project_id"]), match["endpoint"])


# Paths that are public: ingest never gets here, but health, static, metrics and the token API
# do. Public account pages (sign-in, password reset, invitation links) use `login_exempt`.
PUBLIC_PREFIXES = ("/health/", "/static/", "/metrics", "/api/0/")


class LoginRequiredMiddleware:
    """Every page needs a signed-in user unless its path is explicitly exempt."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if request.user.is_authenticated or getattr(view_func, "login_exempt", False):
            return None
        if request.path_info.startswith(PUBLIC_PREFIXES):
            return None
        return redirect_to_login(request.get_full_path())


def login_exempt(view_func):
    """Mark a view as reachable without signing in."""
    view_func.login_exempt = True
    return view_func


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """Strict CSP (no inline scripts anywhere) and the usual hardening headers."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("X-Content-Type-Options", "nosniff")
        response.setdefault("Referrer-Policy", "same-origin")
        response.setdefault("X-Frame-Options", "DENY")
        return response
