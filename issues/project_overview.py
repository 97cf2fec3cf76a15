"""The project list's numbers: unresolved issues and the last 24 hours, for many projects at
once (a fixed number of grouped queries, however many projects)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count

from issues import charts
from issues.models import Issue, IssueStatus
from projects.models import Membership


@dataclass(frozen=True)
class ProjectRow:
    membership: Membership
    unresolved: int
    sparkline: charts.Chart

    @property
    def events_24h(self) -> int:
        return self.sparkline.total


def unresolved_counts(project_ids: list[int]) -> dict[int, int]:
    rows = (
        Issue.objects.filter(project_id__in=project_ids, status=IssueStatus.UNRESOLVED)
        .values("project_id")
        .annotate(n=Count("id"))
        .values_list("project_id", "n")
    )
    return dict(rows)


def project_rows(memberships: list[Membership], now: datetime | None = None) -> list[ProjectRow]:
    ids = [m.project_id for m in memberships]
    unresolved = unresolved_counts(ids)
    lines = charts.project_sparklines(ids, now)
    return [
        ProjectRow(m, unresolved.get(m.project_id, 0), lines[m.project_id]) for m in memberships
    ]
