"""The environment filter of the issue list and the issue page: a project's environments,
and an issue's counts in one of them.

Environments come from the aggregated `environment` tag values, so the choice lists exactly
the environments of the stored events. Counts in one environment are read from the events:
the aggregates (tag counts, hourly buckets) are per issue, not per environment.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Q

from events.models import Event
from issues.models import IssueTagValue

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
    found = Event.objects.filter(issue_id=issue_id, environment=environment).aggregate(
        events=Count("id"), users=Count("user_ident", distinct=True, filter=~Q(user_ident=""))
    )
    return Counts(found["events"], found["users"])
