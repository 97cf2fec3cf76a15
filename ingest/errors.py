"""What can go wrong with an ingest request, each mapped to one HTTP status."""


class IngestError(Exception):
    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(IngestError):
    status = 400


class Unauthorized(IngestError):
    status = 401


class Forbidden(IngestError):
    status = 403


class MethodNotAllowed(IngestError):
    status = 405


class RequestTimeout(IngestError):
    """The body did not arrive within WEB_BODY_TIMEOUT (a stalled or very slow client)."""

    status = 408


class TooLarge(IngestError):
    status = 413


class RateLimited(IngestError):
    """Past the project's events/minute (scope "project") or the queue cap ("organization")."""

    status = 429

    def __init__(self, detail: str, retry_after: int, scope: str) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        self.scope = scope


class Unavailable(IngestError):
    """The database is down or locked: the SDK should retry later."""

    status = 503

    def __init__(self, detail: str, retry_after: int = 10) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Overloaded(Unavailable):
    """Requests wait longer for a thread than INGEST_SHED_AFTER_SECONDS: shed, don't queue."""
