"""Our gunicorn classes: a gthread worker whose threads only ever see requests that have
arrived, and a logger without the access log.

gthread (threads plus keep-alive) instead of sync workers: SDKs and proxies reuse
connections and several inserts per process wait for their commit at once (measured in
docs/performance.md). Stock gthread hands every new connection to a thread that waits up to
5 s for its first bytes and then blocks reading the head and body with no time limit, so a
dozen idle or stalled clients took every thread (issue 17). Here the main thread, which
already polls every socket, also reads them (non-blocking) until the request's head and body
are in memory, as a buffering proxy would:

- a connection gets a thread only with a whole request: idle and slow clients cost a buffer,
  never a thread. The head must arrive within WEB_HEADER_TIMEOUT of its first byte, the body
  within WEB_BODY_TIMEOUT of the head; else 408 and the connection is closed. Idle
  connections close after the keep-alive time without an answer.
- past capacity (a request queued now would wait over INGEST_SHED_AFTER_SECONDS for a
  thread) an SDK request is refused right there with ingest's 503, on the kept-alive
  connection: refusing costs neither a thread nor a wait (ingest/shedding.py).
- bodies that cannot be buffered (chunked, over BODY_BUFFER_BYTES, `Expect: 100-continue`)
  are read by the thread as before, but against the same deadline (a read past it raises
  TimeoutError: ingest and core/request_body.py answer 408), and at most threads - 1 at
  once, so one thread per process is always left for the rest.
- on SIGTERM of the whole server (not when one worker is recycled) the worker takes what is
  already queued on the listening socket and then stops it listening, for every process
  sharing it: later connections are refused, not accepted by the kernel and reset at exit.
  Then the requests in flight are finished.

This builds on gunicorn 27's gthread internals (TConn, the poller callbacks, finish_request);
pyproject pins the major version.
"""

import contextlib
import errno
import re
import selectors
import socket
import time
from collections import deque
from functools import partial
from multiprocessing.sharedctypes import RawValue
from typing import Any

from gunicorn.glogging import Logger
from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers.gthread import TConn, ThreadWorker

from ingest.middleware import INGEST_PATH
from ingest.shedding import set_queue_wait

READ_SIZE = 64 * 1024
MAX_HEAD_BYTES = 64 * 1024
# Bodies up to this size are read by the main thread before a thread is taken: every SDK
# event fits (an event is at most INGEST_MAX_EVENT_BYTES before compression).
BODY_BUFFER_BYTES = 1024 * 1024
# What a process may hold in such buffers at once; past it, bodies are streamed (capped).
BUFFER_BUDGET_BYTES = 64 * 1024 * 1024
# After an error answer, read and drop what the client still sends for this long before
# closing, so that our close does not reset the connection before it read the answer.
LINGER_SECONDS = 2.0
# How often the main thread looks for connections past their deadline.
SWEEP_SECONDS = 0.25

IDLE, HEAD, BODY, CLOSING = range(4)
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*([0-9]+)[ \t]*(?=\r\n|$)")

# Set by the master when the whole server stops (see install_stop_hooks); forked workers see
# the same memory.
_server_stopping = RawValue("b", 0)


class RequestDeadline(TimeoutError):
    pass


class DeadlineUnreader(SocketUnreader):
    """gunicorn's socket reader, but no read may block past `deadline` (monotonic)."""

    deadline = float("inf")

    def chunk(self, size_hint=None):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise RequestDeadline("request deadline passed")
        self.sock.settimeout(remaining)
        try:
            return super().chunk(size_hint)
        finally:
            self.sock.settimeout(None)


class Conn(TConn):
    def __init__(self, cfg, sock, client, server) -> None:
        super().__init__(cfg, sock, client, server)
        self.buf = bytearray()
        self.phase = IDLE
        self.deadline = 0.0
        self.need = 0  # bytes of head + body, once the head is in
        self.ingest = False
        self.close_after = False
        self.reserved = 0
        self.streaming = False
        self.enqueued = 0.0


def _response(status: str, headers: list[tuple[str, str]], body: bytes, close: bool) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers)]
    lines += [f"Content-Length: {len(body)}", f"Connection: {'close' if close else 'keep-alive'}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _error(status: str, detail: str) -> bytes:
    body = b'{"detail":"' + detail.encode() + b'"}'
    return _response(status, [("Content-Type", "application/json")], body, close=True)


TIMEOUT_RESPONSE = _error("408 Request Timeout", "the request did not arrive in time")
HEAD_TOO_LARGE_RESPONSE = _error(
    "431 Request Header Fields Too Large", "the request head is too large"
)


class TimedThreadWorker(ThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reading: dict[Conn, None] = {}  # connections the main thread is reading
        self.parked: deque[Conn] = deque()  # streamed bodies waiting for a free slot
        self.streaming = 0
        self.max_streaming = max(1, self.cfg.threads - 1)
        self.buffered = 0  # bytes reserved for bodies being buffered
        # Enqueue times of requests not yet taken by a thread, oldest first: the pool is
        # FIFO, so each thread that starts a request drops the oldest.
        self.waiting: deque[float] = deque()
        self.service_seconds = 0.0
        self.next_sweep = 0.0
        self.stopped_listening = False
        self.overload_bytes: dict[bool, bytes] = {}

    def run(self) -> None:
        from django.conf import settings  # the app (and so Django) is loaded by now

        from core import metrics

        self.metrics = metrics
        self.header_timeout = settings.WEB_HEADER_TIMEOUT
        self.body_timeout = settings.WEB_BODY_TIMEOUT
        self.shed_after = settings.INGEST_SHED_AFTER_SECONDS
        super().run()

    # --- the main thread: accept, read, answer or dispatch ------------------------------

    def accept(self, listener) -> None:
        try:
            sock, addr = listener.accept()
        except OSError as exc:
            if exc.errno == errno.EINVAL:  # a sibling stopped the listener: the server stops
                self.alive = False
            elif exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self._track(sock, addr, listener, self.cfg.keepalive)

    def _track(self, sock, addr, listener, idle_seconds: float) -> None:
        self.nr_conns += 1
        conn = Conn(self.cfg, sock, addr, listener.getsockname())  # non-blocking
        conn.deadline = time.monotonic() + idle_seconds
        self.reading[conn] = None
        self.poller.register(sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn: Conn, _sock=None) -> None:
        try:
            data = conn.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            if conn.phase == BODY:  # half-closed mid-body: the thread answers 400 to that
                self._dispatch(conn, streaming=False)
            else:
                self._close(conn)
            return
        if conn.phase == CLOSING:
            return  # dropped: the answer is out, we are waiting for the client to go
        if conn.phase == IDLE:
            conn.phase, conn.deadline = HEAD, time.monotonic() + self.header_timeout
        conn.buf += data
        self._advance(conn)

    def _advance(self, conn: Conn) -> None:
        while True:
            if conn.phase == HEAD:
                end = conn.buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(conn.buf) > MAX_HEAD_BYTES:
                        self._refuse(conn, HEAD_TOO_LARGE_RESPONSE)
                    return
                if not self._read_head(conn, bytes(conn.buf[: end + 2]), end + 4):
                    self._dispatch(conn, streaming=True)
                    return
            if len(conn.buf) < conn.need:
                return
            if not (conn.ingest and self._past_capacity()):
                self._dispatch(conn, streaming=False)
                return
            if not self._shed(conn):
                return
            del conn.buf[: conn.need]
            self._release(conn)
            conn.need = 0
            if conn.buf:
                conn.phase, conn.deadline = HEAD, time.monotonic() + self.header_timeout
            else:
                conn.phase, conn.deadline = IDLE, time.monotonic() + self.cfg.keepalive
                return

    def _read_head(self, conn: Conn, head: bytes, head_len: int) -> bool:
        """Note how the request is framed; False when its body must be streamed instead."""
        conn.phase, conn.deadline = BODY, time.monotonic() + self.body_timeout
        request_line, _, _ = head.lstrip(b"\r\n").partition(b"\r\n")
        method, _, rest = request_line.partition(b" ")
        target, _, version = rest.partition(b" ")
        lower = head.lower()
        conn.ingest = method == b"POST" and bool(
            INGEST_PATH.match(target.partition(b"?")[0].decode("latin-1"))
        )
        conn.close_after = version != b"HTTP/1.1" or b"\r\nconnection: close" in lower
        if b"\r\ntransfer-encoding" in lower or b"\r\nexpect" in lower:
            return False
        lengths = _CONTENT_LENGTH.findall(lower)
        if len(lengths) > 1 or (not lengths and b"\r\ncontent-length" in lower):
            return False  # gunicorn's parser refuses it properly
        length = int(lengths[0]) if lengths else 0
        if length > BODY_BUFFER_BYTES or self.buffered + length > BUFFER_BUDGET_BYTES:
            return False
        conn.need, conn.reserved = head_len + length, length
        self.buffered += length
        return True

    def _past_capacity(self) -> bool:
        """Would a request queued now wait longer than INGEST_SHED_AFTER_SECONDS for a
        thread? The queue's length times the mean time a thread spends on a request,
        spread over the threads; or, as a backstop, the oldest waiting longer already. The
        oldest's age alone lags: by the time it passes the limit, a second's worth of
        arrivals has been queued behind it, to wait past the limit and be refused then."""
        if not self.shed_after:
            return False
        if len(self.waiting) * self.service_seconds > self.shed_after * self.cfg.threads:
            return True
        try:
            return time.monotonic() - self.waiting[0] > self.shed_after
        except IndexError:
            return False

    def _shed(self, conn: Conn) -> bool:
        """Answer ingest's 503 from here; False when the connection was closed instead."""
        answer = self.overload_bytes.get(conn.close_after)
        if answer is None:
            from ingest.wsgi import overloaded_response

            response = overloaded_response()
            status = f"{response.status_code} {response.reason_phrase}"
            answer = _response(status, list(response.items()), response.content,
                               close=conn.close_after)  # fmt: skip
            self.overload_bytes[conn.close_after] = answer
        self.metrics.event_rejected("overload")
        try:
            sent = conn.sock.send(answer)
        except OSError:
            sent = 0
        if sent < len(answer) or conn.close_after or not self.alive:
            self._close(conn)
            return False
        return True

    def _dispatch(self, conn: Conn, streaming: bool) -> None:
        self.poller.unregister(conn.sock)
        del self.reading[conn]
        if streaming:
            if self.streaming >= self.max_streaming:
                self.parked.append(conn)
                return
            self.streaming += 1
            conn.streaming = True
            conn.deadline = time.monotonic() + self.body_timeout
        self.enqueue_req(conn)

    def enqueue_req(self, conn) -> None:
        conn.enqueued = now = time.monotonic()
        self.waiting.append(now)
        super().enqueue_req(conn)

    def _refuse(self, conn: Conn, answer: bytes) -> None:
        """Send an error answer, then linger: drop what still comes, close on EOF or later."""
        try:
            conn.sock.send(answer)
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)
            return
        self._release(conn)
        conn.buf.clear()
        conn.phase, conn.deadline = CLOSING, time.monotonic() + LINGER_SECONDS
        if conn not in self.reading:
            self.reading[conn] = None
            self.poller.register(conn.sock, selectors.EVENT_READ,
                                 partial(self._on_readable, conn))  # fmt: skip

    def _close(self, conn: Conn) -> None:
        if conn in self.reading:
            del self.reading[conn]
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(conn.sock)
        self._release(conn)
        self.nr_conns -= 1
        conn.close()

    def _release(self, conn: Conn) -> None:
        self.buffered -= conn.reserved
        conn.reserved = 0

    def murder_pending(self) -> None:
        """Called after every poll, running or stopping: enforce the deadlines."""
        super().murder_pending()
        now = time.monotonic()
        if now < self.next_sweep:
            return
        self.next_sweep = now + SWEEP_SECONDS
        for conn in [c for c in self.reading if c.deadline <= now]:
            if conn.phase == IDLE:
                # A request that arrived since the last poll is read, not reset by our close.
                self._on_readable(conn)
                if conn.phase == IDLE and conn in self.reading:
                    self._close(conn)
            elif conn.phase == CLOSING:
                self._close(conn)
            else:
                self._refuse(conn, TIMEOUT_RESPONSE)
        while self.parked and self.parked[0].deadline <= now:
            self._refuse(self.parked.popleft(), TIMEOUT_RESPONSE)

    def finish_request(self, conn, fs) -> None:
        self._release(conn)
        if conn.streaming:
            conn.streaming = False
            self.streaming -= 1
            while self.parked and self.streaming < self.max_streaming:
                parked = self.parked.popleft()
                self.streaming += 1
                parked.streaming = True
                parked.deadline = time.monotonic() + self.body_timeout
                self.enqueue_req(parked)
        try:
            keepalive = not fs.cancelled() and fs.result() is True
        except Exception:
            keepalive = False
        if not keepalive:
            super().finish_request(conn, fs)  # closes it
            return
        # Kept alive: the next request is read here too (gunicorn's keep-alive list is not
        # used). Bytes the client pipelined are already in the parser's buffer.
        now = time.monotonic()
        conn.buf = bytearray(conn.parser.unreader.take_buffered())
        conn.sock.setblocking(False)
        if conn.buf:
            conn.phase, conn.deadline = HEAD, now + self.header_timeout
        else:
            linger = self.cfg.keepalive if self.alive else min(self.cfg.keepalive, LINGER_SECONDS)
            conn.phase, conn.deadline = IDLE, now + linger
        self.reading[conn] = None
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))
        if conn.buf:
            self._advance(conn)

    # --- stopping ------------------------------------------------------------------------

    def set_accept_enabled(self, enabled: bool | None) -> None:
        if not enabled and not self.alive:
            self._stop_accepting()
        super().set_accept_enabled(enabled)

    def _stop_accepting(self) -> None:
        if self.stopped_listening:
            return
        self.stopped_listening = True
        if _server_stopping.value:
            for listener in self.sockets:
                # Take what the kernel already queued, then stop listening (SHUT_RD on a
                # listening socket does that for every process that shares it).
                for _ in range(self.worker_connections):
                    try:
                        sock, addr = listener.accept()
                    except OSError:
                        break
                    self._track(sock, addr, listener, self.header_timeout)
                with contextlib.suppress(OSError):  # a sibling did it first
                    listener.shutdown(socket.SHUT_RD)
        # Idle connections go soon, as kept-alive ones do in gunicorn when stopping.
        soon = time.monotonic() + LINGER_SECONDS
        for conn in self.reading:
            if conn.phase == IDLE:
                conn.deadline = min(conn.deadline, soon)

    # --- a thread: serve the request that arrived ---------------------------------------

    def handle(self, conn):
        with contextlib.suppress(IndexError):
            self.waiting.popleft()
        set_queue_wait(time.monotonic() - conn.enqueued)
        try:
            data, conn.buf = bytes(conn.buf), bytearray()
            conn.data_ready = True  # skip gthread's wait for the first bytes
            conn.sock.setblocking(True)
            if not conn.initialized:
                conn.init()
                conn.parser.unreader = DeadlineUnreader(conn.sock)
            unreader = conn.parser.unreader
            unreader.unread(data)
            unreader.deadline = (
                conn.deadline if conn.streaming else (time.monotonic() + self.body_timeout)
            )
            started = time.monotonic()
            keepalive = super().handle(conn)
            if not conn.streaming:  # a streamed body's time is mostly the client's
                # Mean thread time per request, a moving average (threads may race on it;
                # a lost update only delays the average a little).
                spent = time.monotonic() - started
                self.service_seconds += (spent - self.service_seconds) / 64
            return keepalive
        except OSError:
            return False
        finally:
            set_queue_wait(0.0)


def install_stop_hooks(server) -> None:
    """gunicorn's `when_ready` hook (master, before workers fork): mark a stop of the whole
    server, which workers then act on (TimedThreadWorker._stop_accepting)."""
    for name in ("handle_term", "handle_int", "handle_quit"):
        original = getattr(server, name)

        def stopping(original=original) -> None:
            _server_stopping.value = 1
            original()

        setattr(server, name, stopping)


class NoAccessLogLogger(Logger):
    """Django logs every request itself, with its request id (core.middleware.observed).

    gunicorn's access log was already silenced by level, but with a logging dict configured
    gunicorn still built every line's atoms first, a visible share of a web worker's time
    in profiles (docs/performance.md, "Web tier").
    """

    def access(self, resp, req, environ, request_time) -> None:
        return
