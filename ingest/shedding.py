"""Load shedding: past capacity, answer at once instead of letting requests queue.

gunicorn's workers accept connections as fast as they arrive; past what the machine can
process, requests wait for a thread, and every SDK waits seconds (or times out) while
being served late. Instead, a request that already waited longer than
INGEST_SHED_AFTER_SECONDS for a thread is refused with 503, Retry-After and
X-Sentry-Rate-Limits (which SDKs honour by pausing), before its body is read: a refusal
costs a small fraction of an accepted event, so the events that are accepted keep flowing.

The wait is measured by our gunicorn worker class (bugtrack/gunicorn_classes.py): from the
moment a request is readable and handed to the thread pool until a thread takes it. Other
servers never report a wait, so nothing is shed there.
"""

import threading

_local = threading.local()


def set_queue_wait(seconds: float) -> None:
    _local.wait = seconds


def queue_wait() -> float:
    """Seconds the current request waited for a thread in this process (0 when unknown)."""
    return getattr(_local, "wait", 0.0)
