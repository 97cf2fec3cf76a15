"""The intake queue, both ends: ingest commits what a request brought (at most one event
plus client-report counts, in ONE write transaction, before the SDK gets its answer), and
the digest claims the oldest rows.

Claim and delete are one `DELETE ... RETURNING` inside the digest's batch transaction: the
rows leave the queue when the batch commits, and come back if it rolls back (or the worker
dies). On PostgreSQL the inner `SELECT ... FOR UPDATE SKIP LOCKED` lets any number of workers
claim side by side; on SQLite the `IMMEDIATE` transaction already serializes writers.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import psycopg
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from core.bulksql import execute
from ingest import intake_payload, ratelimit
from ingest.models import ClientReport, IntakeEvent


@dataclass
class QueuedEvent:
    event_id: str
    payload: bytes


# (reason, category) -> quantity
ReportCounts = dict[tuple[str, str], int]


def commit(
    project_id: int,
    event: QueuedEvent | None,
    reports: ReportCounts,
    rate_limit: int,
    received_at: datetime,
    request_id: str,
) -> None:
    if event is None and not reports:
        return  # nothing to keep: no transaction at all
    now = received_at.timestamp()
    if event is not None:
        ratelimit.check_project(project_id, now)
        if not reports and ratelimit.count_in_memory(project_id, rate_limit, now):
            # The common case: one INSERT in autocommit is the whole write transaction,
            # one round trip instead of BEGIN / INSERT / COMMIT.
            _insert_event_autocommit(project_id, event, received_at, request_id)
            ratelimit.note_queued(1)
            return
    with transaction.atomic():
        if event is not None:
            ratelimit.count_event(project_id, rate_limit, now)
            _insert_event(project_id, event, received_at, request_id)
        if reports:
            _add_client_reports(project_id, received_at, reports)
    if event is not None:
        ratelimit.note_queued(1)


_INSERT = (
    f"INSERT INTO {IntakeEvent._meta.db_table} "
    "(project_id, event_id, received_at, payload, request_id) VALUES ({placeholders}) "
    "ON CONFLICT (project_id, event_id) DO NOTHING"
)
INSERT_EVENT = _INSERT.format(placeholders="%s, %s, %s, %s, %s")
# psycopg: %b binds the payload in binary format.
INSERT_EVENT_PG = _INSERT.format(placeholders="%s, %s, %s, %b, %s")


def _insert_event(
    project_id: int, event: QueuedEvent, received_at: datetime, request_id: str
) -> None:
    # ON CONFLICT DO NOTHING: a re-sent event id still waiting in the queue is dropped.
    # Raw SQL: the ORM's insert compiler cost more CPU than the rest of the request.
    stored = intake_payload.pack(event.payload)
    db = connections[DEFAULT_DB_ALIAS]  # `connection` looks the thread's one up on every use
    if db.vendor == "postgresql":
        _insert_prepared(db, project_id, event.event_id, received_at, stored, request_id)
        return
    with db.cursor() as cursor:
        cursor.execute(
            INSERT_EVENT,
            [
                project_id,
                event.event_id,
                db.ops.adapt_datetimefield_value(received_at),
                stored,
                request_id,
            ],
        )


class _PreparedCursor(psycopg.Cursor):
    """Server-side binding, every statement prepared (Django's wrapper passes no kwargs)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):  # type: ignore[override]
        return super().execute(query, params, prepare=prepare is not False, binary=binary)


def _insert_prepared(
    db: BaseDatabaseWrapper,
    project_id: int,
    event_id: str,
    received_at: datetime,
    stored: bytes,
    request_id: str,
) -> None:
    """PostgreSQL: server-side binding, the payload bound in binary, the statement prepared.

    Django's psycopg cursors bind client-side, so the payload travelled as hex text twice
    its size for the server to parse and plan every time. A server-binding cursor on the
    same connection (same transaction state) sends the bytes as they are and reuses the
    plan, which cuts PostgreSQL's CPU per insert (bench/intake_insert.py; figures in
    docs/performance.md, "Web tier").
    """
    db.ensure_connection()
    raw: Any = _PreparedCursor(db.connection)  # Django wraps any DB-API cursor
    # Django's wrappers: database errors become django.db errors, query logging still works.
    with db.make_debug_cursor(raw) if db.queries_logged else db.make_cursor(raw) as cursor:
        cursor.execute(INSERT_EVENT_PG, (project_id, event_id, received_at, stored, request_id))


def _insert_event_autocommit(
    project_id: int, event: QueuedEvent, received_at: datetime, request_id: str
) -> None:
    """One statement, committed on its own. A persistent connection that went stale (the
    database restarted) is replaced once, instead of health-checking every request."""
    try:
        _insert_event(project_id, event, received_at, request_id)
    except DatabaseError:
        if connection.in_atomic_block:
            raise  # a retry that fails the same way raises as before
        connection.close()
        _insert_event(project_id, event, received_at, request_id)


def _add_client_reports(project_id: int, received_at: datetime, reports: ReportCounts) -> None:
    table = ClientReport._meta.db_table
    day = received_at.date()
    rows = [
        (project_id, day, reason, category, quantity)
        for (reason, category), quantity in sorted(reports.items())
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (project_id, day, reason, category, quantity) "
            "VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (project_id, day, reason, category) "
            f"DO UPDATE SET quantity = {table}.quantity + excluded.quantity",
            rows,
        )


# The digest's end of the queue.


class Claimed(NamedTuple):
    """One claimed intake row (the columns of `ingest.IntakeEvent` the digest reads)."""

    id: int
    project_id: int
    event_id: str
    received_at: datetime
    payload: bytes  # the event's JSON, uncompressed (ingest stores it zstd-compressed)
    request_id: str


_TABLE = IntakeEvent._meta.db_table
_COLUMNS = "id, project_id, event_id, received_at, payload, request_id"


def claim(batch_size: int) -> list[Claimed]:
    """Take up to `batch_size` of the oldest rows out of the queue, oldest first."""
    if connection.vendor == "postgresql":
        oldest = f"SELECT id FROM {_TABLE} ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED"
    elif connection.features.can_return_columns_from_insert:  # SQLite 3.35+ has RETURNING
        oldest = f"SELECT id FROM {_TABLE} ORDER BY id LIMIT %s"
    else:
        return _select_then_delete(batch_size)
    rows = execute(
        f"DELETE FROM {_TABLE} WHERE id IN ({oldest}) RETURNING {_COLUMNS}",
        [batch_size],
        fetch=True,
        binary=True,
    )
    return sorted((_row(*r) for r in rows), key=lambda r: r.id)  # RETURNING has no order


def _select_then_delete(batch_size: int) -> list[Claimed]:
    rows = execute(f"SELECT {_COLUMNS} FROM {_TABLE} ORDER BY id LIMIT %s", [batch_size], True)
    if rows:
        ids = [r[0] for r in rows]
        execute(f"DELETE FROM {_TABLE} WHERE id IN ({', '.join(['%s'] * len(ids))})", ids)
    return [_row(*r) for r in rows]


def waiting() -> bool:
    """Is anything queued? One cheap read, for polling an empty queue."""
    return bool(execute(f"SELECT 1 FROM {_TABLE} ORDER BY id LIMIT 1", [], fetch=True))


def _row(
    id: int, project_id: int, event_id: str, received: object, payload: object, request_id: str
) -> Claimed:
    assert isinstance(payload, bytes | memoryview)  # bytea: bytes (psycopg) or memoryview
    body = intake_payload.unpack(payload)
    return Claimed(id, project_id, event_id, _aware(received), body, request_id)


def _aware(value: object) -> datetime:
    """SQLite hands back its naive UTC text; PostgreSQL an aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
