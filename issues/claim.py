"""Claiming intake rows for the digest: one `DELETE ... RETURNING` inside the batch transaction.

Claim and delete are one statement: the rows leave the queue when the batch commits, and come
back if it rolls back (or the worker dies). On PostgreSQL the inner `SELECT ... FOR UPDATE
SKIP LOCKED` lets any number of workers claim side by side; on SQLite the `IMMEDIATE`
transaction already serializes writers.
"""

from datetime import UTC, datetime
from typing import NamedTuple

from django.db import connection

from ingest.intake_payload import unpack
from ingest.models import IntakeEvent
from issues.counters import execute


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
    body = unpack(payload if isinstance(payload, bytes) else bytes(payload))  # type: ignore[arg-type]
    return Claimed(id, project_id, event_id, _aware(received), body, request_id)


def _aware(value: object) -> datetime:
    """SQLite hands back its naive UTC text; PostgreSQL an aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
