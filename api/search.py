"""The issue list's API-only parameters around the one issue search (`issues.search`):
the default query, `statsPeriod` and the repeatable `environment`."""

import re
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from issues import search
from issues.models import Issue

DEFAULT_QUERY = "is:unresolved"  # as in Sentry; `query=` (empty) lists every status
PERIOD = re.compile(r"(?P<n>\d{1,6})(?P<unit>[smhdw])")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_period(value: str) -> timedelta | None:
    """`24h`, `14d`, `30m`, `2w`; empty means no limit."""
    if value == "":
        return None
    match = PERIOD.fullmatch(value)
    if match is None:
        raise search.SearchError(
            "Invalid statsPeriod. Use a number and a unit (s, m, h, d, w), like 24h."
        )
    return timedelta(seconds=int(match["n"]) * UNIT_SECONDS[match["unit"]])


def filter_issues(
    qs: QuerySet[Issue],
    query: str,
    period: timedelta | None,
    environments: list[str] | None = None,
    user: object = None,
) -> QuerySet[Issue]:
    """`environments` is Sentry's separate, repeatable `environment` parameter: any of them;
    `user` is who searches (`assigned:me`)."""
    qs = search.apply(qs, search.parse(query, user))
    if environments:
        qs = qs.filter(search.in_environments(environments))
    if period is not None:
        qs = qs.filter(last_seen__gte=timezone.now() - period)
    return qs
