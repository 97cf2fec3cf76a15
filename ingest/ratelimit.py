"""Per-project events/minute and the global intake-queue cap.

The per-minute count lives in one `RateCounter` row per project and minute, shared by every
gunicorn process on every machine. Each process adds its events to that row inside the
request's only write transaction: every event for small limits or once the count nears the
limit, otherwise batched at most once a second (so a busy project's requests don't queue on
one row lock through each commit). Once a project is over, this process remembers that
until the minute ends and refuses its events from memory. Requests without events (client
reports) are never limited per project. The queue depth is counted at most once per
DEPTH_CACHE_SECONDS per process.

What a process remembers for all this is one `RateLimiter`, `limiter` below; the module's
functions are its methods.
"""

import math
import threading
import time
from collections.abc import Callable
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


def current_minute(now: float) -> int:
    return int(now // 60)


def seconds_left_in_minute(now: float) -> int:
    return max(1, math.ceil(60 - now % 60))


def _project_limited(now: float) -> RateLimited:
    return RateLimited("project rate limit exceeded", seconds_left_in_minute(now), scope="project")


@dataclass
class _Window:
    """This process's view of one project's current minute."""

    minute: int
    known: int = 0  # the shared count as last read back from the database
    pending: int = 0  # accepted here but not yet added to the database
    flushed_at: float = float("-inf")


class RateLimiter:
    """One process's memory of the rate limits and of the queue depth.

    gunicorn's gthread workers call it from several threads at once, so every field is
    written under `_lock`, and no database work happens while it is held (a thread that
    waits for a row lock must not stall the others). Readers of a single field on the hot
    path (`check_project`, a fresh depth) skip the lock: under the GIL such a read sees an
    old or a new value, never a torn one, and either answer is as good as a moment earlier.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        # The time ingest stamps a request with; the windows are minutes of it. Tests pin it.
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[int, _Window] = {}
        self._over_limit: dict[int, int] = {}  # project id -> minute in which it hit its limit
        self._cleaned_minute = -1  # the newest minute whose old rows a thread has deleted
        self._depth = 0
        self._depth_expires = 0.0
        self._depth_counting = False  # a thread is counting the queue right now

    def reset(self) -> None:
        """Forget everything and follow the real clock again, as a new process would (tests)."""
        with self._lock:
            self.clock = time.time
            self._windows.clear()
            self._over_limit.clear()
            self._cleaned_minute = -1
            self._depth, self._depth_expires, self._depth_counting = 0, 0.0, False

    # The global queue cap.

    def check_queue(self, now: float) -> None:
        """Shed load before reading the body when the digest is far behind."""
        if self.queue_depth(now) >= settings.INGEST_MAX_QUEUE_DEPTH:
            raise RateLimited(
                "intake queue is full, try again later",
                QUEUE_FULL_RETRY_AFTER,
                scope="organization",
            )

    def queue_depth(self, now: float) -> int:
        """The queue's length as counted at most DEPTH_CACHE_SECONDS ago, plus what this
        process queued since. One thread recounts; the others use the last count meanwhile."""
        if self._depth_expires > now:
            return self._depth
        with self._lock:
            if self._depth_expires > now or self._depth_counting:
                return self._depth
            self._depth_counting = True
        try:
            counted = self._count_queue()
        except BaseException:
            with self._lock:
                self._depth_counting = False
            raise
        with self._lock:
            self._depth, self._depth_expires = counted, now + DEPTH_CACHE_SECONDS
            self._depth_counting = False
        return counted

    def note_queued(self, n: int) -> None:
        with self._lock:  # += is a read and a write: unlocked, a recount could be lost
            self._depth += n

    @staticmethod
    def _count_queue() -> int:
        # Counting stops at the cap, so a huge backlog costs no more than a full one.
        return IntakeEvent.objects.all()[: settings.INGEST_MAX_QUEUE_DEPTH + 1].count()

    # Per project and minute.

    def check_project(self, project_id: int, now: float) -> None:
        """An event for a project already over its limit this minute: 429 from memory.

        Checked only for events, so that client reports still get through while limited.
        """
        if self._over_limit.get(project_id) == current_minute(now):
            raise _project_limited(now)

    def count_in_memory(self, project_id: int, limit: int, now: float) -> bool:
        """Count one event in this process's memory when no write to the shared row is due.

        False means the caller must count it with `count_event` inside its write transaction.
        Raises the 429 when the estimate is already over the limit.
        """
        with self._lock:
            return self._count_locked(project_id, limit, now) is None

    def count_event(self, project_id: int, limit: int, now: float) -> None:
        """Count one event; must run inside the write transaction (which rolls back on 429).

        Far below a large limit, events are counted in memory and added to the shared row at
        most once per FLUSH_SECONDS, so busy projects don't serialize on one row lock; other
        processes' unflushed events (at most a second's worth) can then overshoot the limit a
        little. Small limits and counts near the limit go through the row on every event.
        """
        minute = current_minute(now)
        with self._lock:
            window = self._count_locked(project_id, limit, now)
            if window is None:
                return
            # Take this process's pending events; other threads start a new batch meanwhile.
            n, window.pending = window.pending + 1, 0
        try:
            total = self._add(project_id, minute, n)
        except BaseException:
            with self._lock:  # not counted after all: they are pending again
                window.pending += n - 1
            raise
        if total > limit:
            with self._lock:  # rolled back: the others stay pending, this one is refused
                window.pending += n - 1
                self._remember_over(project_id, minute)
            raise _project_limited(now)
        with self._lock:
            window.known, window.flushed_at = total, now

    def _count_locked(self, project_id: int, limit: int, now: float) -> _Window | None:
        """With the lock held: None if the event is counted in memory, else its window,
        whose pending events are due for the database."""
        minute = current_minute(now)
        window = self._windows.get(project_id)
        if window is None or window.minute != minute:
            window = self._windows[project_id] = _Window(minute)
        estimate = window.known + window.pending + 1
        if estimate > limit:
            self._remember_over(project_id, minute)
            raise _project_limited(now)
        if (
            limit >= BATCH_MIN_LIMIT
            and now - window.flushed_at < FLUSH_SECONDS
            and estimate < limit * NEAR_LIMIT
        ):
            window.pending += 1
            return None
        return window

    def _remember_over(self, project_id: int, minute: int) -> None:
        # A thread that hit the limit just before the minute turned must not overwrite a
        # newer minute another thread has already marked.
        if self._over_limit.get(project_id, -1) < minute:
            self._over_limit[project_id] = minute

    def _add(self, project_id: int, minute: int, n: int) -> int:
        table = RateCounter._meta.db_table
        with connection.cursor() as cursor:
            if self._claim_cleanup(minute):
                cursor.execute(f"DELETE FROM {table} WHERE minute < %s", [minute - KEEP_MINUTES])
            cursor.execute(
                f"INSERT INTO {table} (project_id, minute, events) VALUES (%s, %s, %s) "
                f"ON CONFLICT (project_id, minute) DO UPDATE SET events = {table}.events + %s "
                "RETURNING events",
                [project_id, minute, n, n],
            )
            (events,) = cursor.fetchone()
        return events

    def _claim_cleanup(self, minute: int) -> bool:
        """Is this thread the one to delete the minutes before `minute`? Claimed before the
        DELETE runs, so threads turning the minute together don't all delete (and wait on
        each other's row locks); a late request from the minute before claims nothing."""
        with self._lock:
            if minute <= self._cleaned_minute:
                return False
            self._cleaned_minute = minute
            return True


# The one per process; created at import, so every thread shares it.
limiter = RateLimiter()
check_queue = limiter.check_queue
queue_depth = limiter.queue_depth
note_queued = limiter.note_queued
check_project = limiter.check_project
count_in_memory = limiter.count_in_memory
count_event = limiter.count_event
reset = limiter.reset
