"""Our gunicorn classes: the gthread worker timing each request's wait for a thread, and a
logger without the access log.

gthread (threads plus keep-alive) instead of sync workers: SDKs and proxies reuse
connections, several inserts per process wait for their commit at once, and the wait for
a thread is known, which load shedding needs (ingest/shedding.py). Measured in
docs/performance.md.
"""

import time

from gunicorn.glogging import Logger
from gunicorn.workers.gthread import ThreadWorker

from ingest.shedding import set_queue_wait


class TimedThreadWorker(ThreadWorker):
    def enqueue_req(self, conn) -> None:
        # Called on the main thread when a connection has a request to read.
        conn.bugtrack_enqueued = time.monotonic()
        super().enqueue_req(conn)

    def handle(self, conn):
        enqueued = getattr(conn, "bugtrack_enqueued", None)
        set_queue_wait(time.monotonic() - enqueued if enqueued is not None else 0.0)
        try:
            return super().handle(conn)
        finally:
            set_queue_wait(0.0)


class NoAccessLogLogger(Logger):
    """Django logs every request itself, with its request id (core.middleware.observed).

    gunicorn's access log was already silenced by level, but with a logging dict configured
    gunicorn still built every line's atoms first, a visible share of a web worker's time
    in profiles (docs/performance.md, "Web tier").
    """

    def access(self, resp, req, environ, request_time) -> None:
        return
