"""Per-project events/minute and the global intake-queue cap.

The per-minute count lives in one `RateCounter` row per project and minute, bumped with an
upsert inside the request's only write transaction, so every gunicorn process on every
machine shares it exactly. Once a project is over, this process remembers that until the
minute ends and answers 429 without touching the database.
Requests without events (client reports) are never limited per project.
The queue depth is counted at most once per DEPTH_CACHE_SECONDS per process.
"""

import math

from django.conf import settings
from django.db import connection

from ingest.errors import RateLimited
from ingest.models import IntakeEvent, RateCounter

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


def count_event(project_id: int, limit: int, now: float) -> None:
    """Bump this minute's counter; must run inside the write transaction (rolls back on 429)."""
    global _last_cleanup_minute
    minute = current_minute(now)
    table = RateCounter._meta.db_table
    with connection.cursor() as cursor:
        if minute != _last_cleanup_minute:
            cursor.execute(f"DELETE FROM {table} WHERE minute < %s", [minute - KEEP_MINUTES])
            _last_cleanup_minute = minute
        cursor.execute(
            f"INSERT INTO {table} (project_id, minute, events) VALUES (%s, %s, 1) "
            f"ON CONFLICT (project_id, minute) DO UPDATE SET events = {table}.events + 1 "
            "RETURNING events",
            [project_id, minute],
        )
        (events,) = cursor.fetchone()
    if events > limit:
        _over_limit[project_id] = minute
        raise _project_limited(now)


def reset() -> None:
    """Forget in-process state (tests)."""
    global _last_cleanup_minute
    _over_limit.clear()
    _last_cleanup_minute = -1
    _depth.update(value=0, expires=0.0)
