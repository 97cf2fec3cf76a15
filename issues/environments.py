"""The environment filter of the issue list and the issue page: a project's environments,
and an issue's counts in one of them.

Environments come from the aggregated `environment` tag values, so the choice lists exactly
the environments of the stored events. An issue's events in one environment are that tag
value's count (exact, one index probe); its users there are read from its newest
`EVENTS_READ` stored events there, as the tags panel and the chart are: the aggregates carry no
users, tags or hours per environment, and the cap bounds each read where retention keeps many
events (on the 1M-event demo data, one issue's 100,000 events took 120 ms to count users in,
70-90 ms to chart).
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import connection

from events.models import Event
from issues.models import Issue, IssueTagValue

# Events read for one environment's users, tags and chart (the default retention limit).
EVENTS_READ = 10_000
MAX_OFFERED = 200  # bounds the one query on projects that send a new environment per deploy


@dataclass(frozen=True)
class Scope:
    """The chosen environment ("" for all) and the project's environments to choose from."""

    environment: str
    offered: list[str]

    @property
    def query(self) -> str:
        """`environment=…` for links that keep the choice, or ""."""
        return urlencode({"environment": self.environment}) if self.environment else ""


@dataclass(frozen=True)
class Counts:
    events: int
    users: int


# A walk over the distinct `environment` values of all projects through the (key, value,
# issue) index, one probe per value (a loose index scan: 0.5 ms on the 1M-event demo data, where
# DISTINCT over the project's rows took 22-28 ms); at most this many values are visited.
MAX_WALKED = 5000
OF_PROJECT_SQL = """
WITH RECURSIVE envs(value, n) AS (
    SELECT (SELECT value FROM {tags} WHERE key = 'environment' ORDER BY value LIMIT 1), 1
    UNION ALL
    SELECT (SELECT v.value FROM {tags} v WHERE v.key = 'environment' AND v.value > envs.value
            ORDER BY v.value LIMIT 1), envs.n + 1
    FROM envs WHERE envs.value IS NOT NULL AND envs.n < %s
)
SELECT value FROM envs WHERE value IS NOT NULL AND EXISTS (
    SELECT 1 FROM {tags} t JOIN {issues} i ON i.id = t.issue_id
    WHERE t.key = 'environment' AND t.value = envs.value AND i.project_id = %s
) ORDER BY value LIMIT %s
"""


def of_project(project_id: int) -> list[str]:
    """The project's environments by name, one query."""
    sql = OF_PROJECT_SQL.format(tags=IssueTagValue._meta.db_table, issues=Issue._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [MAX_WALKED, project_id, MAX_OFFERED])
        return [str(value) for (value,) in cursor.fetchall()]


def scope(project_id: int, environment: str) -> Scope:
    offered = of_project(project_id)
    if environment and environment not in offered:  # an unknown name stays chosen: no rows
        offered = [*offered, environment]
    return Scope(environment, offered)


def counts_in(issue_id: int, environment: str) -> Counts:
    """The issue's stored events in the environment and their distinct users, one query."""
    sql = (
        f"SELECT (SELECT count FROM {IssueTagValue._meta.db_table} "
        "WHERE issue_id = %s AND key = 'environment' AND value = %s), "
        "(SELECT COUNT(DISTINCT user_ident) FROM "
        f"(SELECT user_ident FROM {Event._meta.db_table} WHERE issue_id = %s "
        "AND environment = %s ORDER BY received_at DESC LIMIT %s) e WHERE user_ident <> '')"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [issue_id, environment, issue_id, environment, EVENTS_READ])
        events, users = cursor.fetchone()
    return Counts(int(events or 0), int(users or 0))
