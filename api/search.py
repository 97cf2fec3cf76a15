"""Sentry-style issue search (`is:unresolved level:error some text`) as queryset filters."""

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from issues.models import Issue, IssueStatus, IssueTagValue

DEFAULT_QUERY = "is:unresolved"

STATUSES = {
    "unresolved": [IssueStatus.UNRESOLVED],
    "resolved": [IssueStatus.RESOLVED, IssueStatus.RESOLVED_NEXT_RELEASE],
    "ignored": [IssueStatus.IGNORED],
    "archived": [IssueStatus.IGNORED],  # newer Sentry's name for ignored
    "muted": [IssueStatus.IGNORED],  # older Sentry's name for ignored
}
LEVELS = {"fatal", "error", "warning", "info", "debug", "sample"}

# key:"quoted value" | key:value | "quoted text" | word; a leading ! negates a key filter.
TOKEN = re.compile(
    r'(?P<neg>!)?(?P<key>[\w.-]+):(?:"(?P<qval>[^"]*)"|(?P<val>\S+))|"(?P<text>[^"]*)"|(?P<word>\S+)'
)
PERIOD = re.compile(r"(?P<n>\d{1,6})(?P<unit>[smhdw])")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

# Each term becomes a filter; bound the SQL a single request can ask for.
MAX_QUERY_CHARS = 1000
MAX_TERMS = 20

SORTS = {
    "date": ("-last_seen", "-id"),
    "new": ("-first_seen", "-id"),
    "freq": ("-event_count", "-id"),
}


class SearchError(ValueError):
    """A search the API cannot run; its message is shown to the client as a 400."""


@dataclass
class Search:
    statuses: list[str] | None = None
    filters: list[Q] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


def parse_period(value: str) -> timedelta | None:
    """`24h`, `14d`, `30m`, `2w`; empty means no limit."""
    if value == "":
        return None
    match = PERIOD.fullmatch(value)
    if match is None:
        raise SearchError("Invalid statsPeriod. Use a number and a unit (s, m, h, d, w), like 24h.")
    return timedelta(seconds=int(match["n"]) * UNIT_SECONDS[match["unit"]])


def _environment_q(value: str) -> Q:
    if connection.vendor == "postgresql":
        return Q(environments__contains=[value])
    # SQLite has no JSON containment; the JSON text of a string element is unambiguous enough.
    import json

    return Q(environments_text__contains=json.dumps(value))


def _tag_q(key: str, value: str) -> Q:
    tags = IssueTagValue.objects.filter(issue=OuterRef("pk"), key=key, value=value)
    return Q(Exists(tags))


def _key_filter(key: str, value: str) -> Q | None:
    if key == "level":
        if value not in LEVELS:
            raise SearchError(f"Invalid level: {value[:50]}")
        return Q(level=value)
    if key == "environment":
        return _environment_q(value)
    if key == "release":
        return Q(first_release=value) | Q(last_release=value) | _tag_q("release", value)
    # Any other key searches the issue's aggregated tag values, as Sentry does (browser:Chrome).
    return _tag_q(key, value)


def parse(query: str) -> Search:
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(f"The query is too long ({MAX_QUERY_CHARS} characters at most).")
    search = Search()
    for n, match in enumerate(TOKEN.finditer(query)):
        if n >= MAX_TERMS:
            raise SearchError(f"The query has too many terms ({MAX_TERMS} at most).")
        if match["key"] is not None:
            key = match["key"]
            value = match["qval"] if match["qval"] is not None else match["val"]
            if key == "is":
                if match["neg"] or value not in STATUSES:
                    raise SearchError(f"Unsupported status filter: is:{value[:50]}")
                search.statuses = (search.statuses or []) + STATUSES[value]
                continue
            q = _key_filter(key, value)
            search.filters.append(~q if match["neg"] else q)
        else:
            text = match["text"] if match["text"] is not None else match["word"]
            if text.strip():
                search.text.append(text.strip())
    return search


def _text_q(term: str, prefix: str) -> Q:
    q = Q(title__icontains=term) | Q(culprit__icontains=term) | Q(message__icontains=term)
    # A short id such as BACKEND-12 finds that issue, as in Sentry.
    head, _, number = term.rpartition("-")
    if head.upper() == prefix and number.isdigit() and len(number) <= 9:
        q |= Q(short_id=int(number))
    return q


def apply(qs: QuerySet[Issue], search: Search, prefix: str) -> QuerySet[Issue]:
    if search.statuses is not None:
        qs = qs.filter(status__in=search.statuses)
    if connection.vendor != "postgresql":
        qs = qs.annotate(environments_text=Cast("environments", TextField()))
    for q in search.filters:
        qs = qs.filter(q)
    for term in search.text:
        qs = qs.filter(_text_q(term, prefix))
    return qs


def filter_issues(
    qs: QuerySet[Issue],
    query: str,
    period: timedelta | None,
    prefix: str,
    environments: list[str] | None = None,
) -> QuerySet[Issue]:
    """`environments` is Sentry's separate, repeatable `environment` parameter: any of them."""
    search = parse(query)
    if environments:
        either = Q()
        for name in environments[:MAX_TERMS]:
            either |= _environment_q(name)
        search.filters.append(either)
    qs = apply(qs, search, prefix)
    if period is not None:
        qs = qs.filter(last_seen__gte=timezone.now() - period)
    return qs
