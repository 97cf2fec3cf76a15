"""Issue search: free text over title/culprit/message plus `key:value` filters."""

import shlex
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from issues.models import Issue, IssueStatus, IssueTagValue

# `is:` values and the statuses they select.
IS_FILTERS: dict[str, list[str]] = {
    "unresolved": [IssueStatus.UNRESOLVED],
    "resolved": [IssueStatus.RESOLVED, IssueStatus.RESOLVED_NEXT_RELEASE],
    "ignored": [IssueStatus.IGNORED],
    "all": [s.value for s in IssueStatus],
}


@dataclass
class ParsedQuery:
    text: list[str] = field(default_factory=list)
    filters: list[tuple[str, str]] = field(default_factory=list)

    @property
    def status(self) -> str | None:
        """The last `is:` filter, which overrides the tab."""
        values = [v for k, v in self.filters if k == "is" and v in IS_FILTERS]
        return values[-1] if values else None


def parse(query: str) -> ParsedQuery:
    """Split into words (quotes group words) and `key:value` filters."""
    try:
        tokens = shlex.split(query)
    except ValueError:  # unbalanced quotes: fall back to plain words
        tokens = query.split()
    parsed = ParsedQuery()
    for token in tokens:
        key, sep, value = token.partition(":")
        if sep and key and value and " " not in key:
            parsed.filters.append((key.lower(), value))
        elif token:
            parsed.text.append(token)
    return parsed


def _tag(key: str, value: str) -> Exists:
    return Exists(IssueTagValue.objects.filter(issue=OuterRef("pk"), key=key, value=value))


def apply(qs: QuerySet[Issue], parsed: ParsedQuery) -> QuerySet[Issue]:
    for word in parsed.text:
        qs = qs.filter(
            Q(title__icontains=word) | Q(culprit__icontains=word) | Q(message__icontains=word)
        )
    for key, value in parsed.filters:
        if key == "is":
            continue  # handled by the caller, together with the tab
        if key == "level":
            qs = qs.filter(level__iexact=value)
        elif key == "environment":
            cond = Q(_tag("environment", value))
            if connection.vendor == "postgresql":  # JSON containment is PostgreSQL-only
                cond |= Q(environments__contains=[value])
            qs = qs.filter(cond)
        elif key == "release":
            qs = qs.filter(
                Q(first_release=value) | Q(last_release=value) | Q(_tag("release", value))
            )
        else:
            qs = qs.filter(_tag(key, value))
    return qs
