"""Request bodies that do not arrive whole, answered as such rather than with a 500.

Our gunicorn worker reads a body of up to 1 MiB before a thread is taken (408 past
WEB_BODY_TIMEOUT). Larger bodies and those behind `Expect: 100-continue` are read by the
thread, in whatever code reads them first (a middleware, CSRF, the view); a read past the
deadline raises TimeoutError, a client gone mid-body another OSError, and Django makes either
an UnreadablePostError: a 500 with a traceback, or a 403 where CSRF swallows it.

`guard()` wraps Django's WSGI application. Its input raises `BodyNotReceived` instead, a
BaseException so that no `except Exception` on the way turns it into some other answer, and
the wrapper answers it: 408 (or 400), JSON under /api/, one access-log line, no traceback.
Django reads no chunked body (WSGI gives it no length), so such a request gets 411 before
Django runs instead of being served as if it had sent nothing.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core import signals

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

TIMED_OUT = "the request body did not arrive in time"
INCOMPLETE = "the request body is incomplete"
LENGTH_REQUIRED = "send the request body with a Content-Length (chunked bodies are refused)"
REASONS = {400: "Bad Request", 408: "Request Timeout", 411: "Length Required"}


class BodyNotReceived(BaseException):  # noqa: N818 (not an error of ours: the client's)
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class GuardedInput:
    """`wsgi.input` whose failed reads raise BodyNotReceived."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self.stream, method)(*args)
        except TimeoutError as exc:  # our gunicorn worker's deadline for the body
            raise BodyNotReceived(408, TIMED_OUT) from exc
        except OSError as exc:  # the client went, or sent a broken chunk
            raise BodyNotReceived(400, INCOMPLETE) from exc

    def read(self, size: int | None = -1) -> bytes:
        return self._call("read", size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._call("readline", size)

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        return self._call("readlines", hint)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


def _answer(environ: dict[str, Any], start_response: Callable[..., Any], status: int,
            detail: str) -> list[bytes]:  # fmt: skip
    if (environ.get("PATH_INFO") or "").startswith("/api/"):
        body, kind = b'{"detail":"' + detail.encode() + b'"}', "application/json"
    else:
        body, kind = detail.encode() + b"\n", "text/plain; charset=utf-8"
    headers = [("Content-Type", kind), ("Content-Length", str(len(body))),
               ("X-Content-Type-Options", "nosniff")]  # fmt: skip
    start_response(f"{status} {REASONS[status]}", headers)
    return [body]


def _chunked(environ: dict[str, Any]) -> bool:
    coding = environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in coding and not environ.get("CONTENT_LENGTH")


def guard(app: WSGIApp) -> WSGIApp:
    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if _chunked(environ):
            return _answer(environ, start_response, 411, LENGTH_REQUIRED)
        environ["wsgi.input"] = GuardedInput(environ["wsgi.input"])
        try:
            return app(environ, start_response)
        except BodyNotReceived as exc:
            # Django's response never came, so neither will request_finished (it closes
            # expired database connections and unbinds the request id): send it here.
            signals.request_finished.send(sender=guard)
            return _answer(environ, start_response, exc.status, exc.detail)

    return guarded
