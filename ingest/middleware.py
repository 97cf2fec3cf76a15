"""SDK traffic that reaches Django's handler: answered before any other middleware runs."""

import re
from collections.abc import Callable

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
        from ingest.views import serve  # the view pulls in the whole app; load it on first use

        return serve(request, int(match["project_id"]), match["endpoint"])
