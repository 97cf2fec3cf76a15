"""An issue's tag values as the issue page shows them: counted by the digest, never by events."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from events.models import Event
from issues import environments, search
from issues.models import IssueTagValue

# The tags the digest derives, in the order the panel shows them; the SDK's own follow by name.
DERIVED_ORDER = (
    "level", "release", "environment", "user", "user.email", "browser", "os", "device", "runtime",
    "server_name", "url",
)  # fmt: skip
SEARCHABLE_KEY = re.compile(r"[\w.-]+")  # what issues/search.py reads as a key
ROWS_READ = 2000  # bounds the panel's one query on issues with very many distinct values


@dataclass(frozen=True)
class TagValue:
    value: str
    count: int
    percent: int
    query: str  # the list search that finds the issues with this value; "" if none can


@dataclass(frozen=True)
class TagKey:
    key: str
    total: int
    values: list[TagValue]


def search_term(key: str, value: str) -> str:
    """`key:"value"` as issues/search.py parses it back, or "" for a key it cannot read."""
    if not SEARCHABLE_KEY.fullmatch(key) or key.lower() in search.NOT_TAGS:
        return ""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{key}:"{escaped}"'


def _rank(key: str) -> tuple[int, str]:
    return (DERIVED_ORDER.index(key), "") if key in DERIVED_ORDER else (len(DERIVED_ORDER), key)


def _counted_rows(issue_id: int) -> Iterable[tuple[str, str, int]]:
    return (
        IssueTagValue.objects.filter(issue_id=issue_id)
        .values_list("key", "value", "count")
        .order_by("key", "-count", "value")[:ROWS_READ]
    )


def _environment_rows(issue_id: int, environment: str) -> list[tuple[str, str, int]]:
    """The same rows counted from the environment's newest `environments.EVENTS_READ` events
    (`Event.tags`: what each added to the counts) in one aggregate query: the counts carry no
    environment. The cap bounds the query where retention keeps many events."""
    table = Event._meta.db_table
    expand = "jsonb_each_text(e.tags)" if connection.vendor == "postgresql" else "json_each(e.tags)"
    sql = (
        f"SELECT t.key, t.value, COUNT(*) AS n FROM (SELECT tags FROM {table} "
        "WHERE issue_id = %s AND environment = %s ORDER BY received_at DESC LIMIT %s) e, "
        f"{expand} t GROUP BY t.key, t.value ORDER BY t.key, n DESC, t.value LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [issue_id, environment, environments.EVENTS_READ, ROWS_READ])
        return [(str(k), str(v), int(n)) for k, v, n in cursor.fetchall()]


def tag_panel(issue_id: int, top: int = 5, environment: str = "") -> list[TagKey]:
    """Per tag key, the most frequent values with their share of the issue's events, or of
    its events in `environment` (one query); derived tags first in a fixed order, then the
    SDK's tags by name."""
    totals: dict[str, int] = {}
    values: dict[str, list[tuple[str, int]]] = {}
    rows = _environment_rows(issue_id, environment) if environment else _counted_rows(issue_id)
    for key, value, count in rows:
        totals[key] = totals.get(key, 0) + count
        values.setdefault(key, []).append((value, count))
    return [
        TagKey(
            key=key,
            total=totals[key],
            values=[
                TagValue(
                    v, c, round(100 * c / totals[key]) if totals[key] else 0, search_term(key, v)
                )
                for v, c in values[key][:top]
            ],
        )  # fmt: skip
        for key in sorted(values, key=_rank)
    ]
