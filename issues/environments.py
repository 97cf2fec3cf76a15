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
from issues.models import IssueTagValue

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


def of_project(project_id: int) -> list[str]:
    """The project's environments by name, one query."""
    return list(
        IssueTagValue.objects.filter(issue__project_id=project_id, key="environment")
        .order_by("value")
        .values_list("value", flat=True)
        .distinct()[:MAX_OFFERED]
    )


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
