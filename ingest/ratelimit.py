"""Per-project events/minute and the global intake-queue cap.

The per-minute count lives in one `RateCounter` row per project and minute, shared by every
gunicorn process on every machine. Each process adds its events to that row inside the
request's only write transaction: every event for small limits or once the count nears the
limit, otherwise batched at most once a second (so a busy project's requests don't queue on
one row lock through each commit). Once a project is over, this process remembers that
until the minute ends and refuses its events from memory. Requests without events (client
reports) are never limited per project. The queue depth is counted at most once per
DEPTH_CACHE_SECONDS per process.
"""

import math
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from ingest.errors import RateLimited
from ingest.models import IntakeEvent, RateCounter

FLUSH_SECONDS = 1.0
NEAR_LIMIT = 0.8  # from this share of the limit on, every event is counted in the database
BATCH_MIN_LIMIT = 600  # smaller limits are always written through, so they are exact
DEPTH_CACHE_SECONDS = 1.0
QUEUE_FULL_RETRY_AFTER = 10
KEEP_MINUTES = 2

_over_limit: dict[int, int] = {}  # project id -> minute in which it hit its limit
_last_cleanup_minute = -1
_depth = {"value": 0, "expires": 0.0}


def current_minute(now: float) -> int:
    return int(now // 60)


def seconds_left_in_minute(now: float) -> int:
    return max(1, math.ceil(60 - now % 60))


def _project_limited(now: float) -> RateLimited:
    return RateLimited("project rate limit exceeded", seconds_left_in_minute(now), scope="project")


def check_queue(now: float) -> None:
    """Shed load before reading the body when the digest is far behind."""
    if queue_depth(now) >= settings.INGEST_MAX_QUEUE_DEPTH:
        raise RateLimited(
            "intake queue is full, try again later", QUEUE_FULL_RETRY_AFTER, scope="organization"
        )


def queue_depth(now: float) -> int:
    if _depth["expires"] <= now:
        cap = settings.INGEST_MAX_QUEUE_DEPTH
        # Counting stops at the cap, so a huge backlog costs no more than a full one.
        _depth["value"] = IntakeEvent.objects.all()[: cap + 1].count()
        _depth["expires"] = now + DEPTH_CACHE_SECONDS
    return _depth["value"]


def note_queued(n: int) -> None:
    _depth["value"] += n


def check_project(project_id: int, now: float) -> None:
    """An event for a project already over its limit this minute: 429 from memory.

    Checked only for events, so that client reports still get through while limited.
    """
    if _over_limit.get(project_id) == current_minute(now):
        raise _project_limited(now)


@dataclass
class _Window:
    """This process's view of one project's current minute."""

    minute: int
    known: int = 0  # the shared count as last read back from the database
    pending: int = 0  # accepted here but not yet added to the database
    flushed_at: float = float("-inf")


_windows: dict[int, _Window] = {}
# gunicorn's gthread workers run requests on several threads of one process.
_lock = threading.Lock()


def count_in_memory(project_id: int, limit: int, now: float) -> bool:
    """Count one event in this process's memory when no write to the shared row is due.

    False means the caller must count it with `count_event` inside its write transaction.
    Raises the 429 when the estimate is already over the limit.
    """
    minute = current_minute(now)
    with _lock:
        window = _windows.get(project_id)
        if window is None or window.minute != minute:
            window = _windows[project_id] = _Window(minute)
        estimate = window.known + window.pending + 1
        if estimate > limit:
            _over_limit[project_id] = minute
            raise _project_limited(now)
        if (
            limit >= BATCH_MIN_LIMIT
            and now - window.flushed_at < FLUSH_SECONDS
            and estimate < limit * NEAR_LIMIT
        ):
            window.pending += 1
            return True
    return False


def count_event(project_id: int, limit: int, now: float) -> None:
    """Count one event; must run inside the write transaction (which rolls back on 429).

    Far below a large limit, events are counted in memory and added to the shared row at
    most once per FLUSH_SECONDS, so busy projects don't serialize on one row lock; other
    processes' unflushed events (at most a second's worth) can then overshoot the limit a
    little. Small limits and counts near the limit go through the row on every event.
    """
    if count_in_memory(project_id, limit, now):
        return
    minute = current_minute(now)
    with _lock:  # take this process's pending events; other threads start a new batch
        window = _windows[project_id]
        n, window.pending = window.pending + 1, 0
    try:
        total = _add(project_id, minute, n)
    except BaseException:
        _unflushed(window, n - 1)
        raise
    if total > limit:
        _over_limit[project_id] = minute
        _unflushed(window, n - 1)
        raise _project_limited(now)  # rolled back: the others stay pending, this one is refused
    with _lock:
        window.known, window.flushed_at = total, now


def _unflushed(window: _Window, n: int) -> None:
    with _lock:
        window.pending += n


def _add(project_id: int, minute: int, n: int) -> int:
    global _last_cleanup_minute
    table = RateCounter._meta.db_table
    with connection.cursor() as cursor:
        if minute != _last_cleanup_minute:
            cursor.execute(f"DELETE FROM {table} WHERE minute < %s", [minute - KEEP_MINUTES])
            _last_cleanup_minute = minute
        cursor.execute(
            f"INSERT INTO {table} (project_id, minute, events) VALUES (%s, %s, %s) "
            f"ON CONFLICT (project_id, minute) DO UPDATE SET events = {table}.events + %s "
            "RETURNING events",
            [project_id, minute, n, n],
        )
        (events,) = cursor.fetchone()
    return events


def reset() -> None:
    """Forget in-process state (tests)."""
    global _last_cleanup_minute
    _over_limit.clear()
    _windows.clear()
    _last_cleanup_minute = -1
    _depth.update(value=0, expires=0.0)
