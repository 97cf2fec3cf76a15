"""Issue search, the one parser for the UI and the API: Sentry's syntax as queryset filters.

`is:unresolved level:error !environment:staging browser:"Chrome 120" some text`
`assigned:me`, `assigned:<username or email>`, `is:assigned`, `is:unassigned`,
`is:bookmarked` and `bookmarks:me` need the searching user (`parse(query, user)`).
"""

import json
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.db.models.lookups import Contains

from issues.models import Issue, IssueStatus, IssueTagValue, IssueUserFlags

# `is:` values and the statuses they select.
STATUSES: dict[str, frozenset[str]] = {
    "unresolved": frozenset({IssueStatus.UNRESOLVED}),
    "resolved": frozenset({IssueStatus.RESOLVED, IssueStatus.RESOLVED_NEXT_RELEASE}),
    "ignored": frozenset({IssueStatus.IGNORED}),
    "archived": frozenset({IssueStatus.IGNORED}),  # newer Sentry's name for ignored
    "muted": frozenset({IssueStatus.IGNORED}),  # older Sentry's name for ignored
    "all": frozenset(IssueStatus.values),
}
ALL_STATUSES = STATUSES["all"]
LEVELS = ("fatal", "error", "warning", "info", "debug", "sample")
# Keys with their own meaning; any other key searches the issue's tag values.
ISSUE_KEYS = ("level", "environment", "release")
# Sentry searches we cannot answer: an error says so, where a tag search would find nothing.
UNSUPPORTED_KEYS = frozenset(
    {
        "age", "assigned_or_suggested", "firstRelease", "firstSeen",
        "has", "issue.category", "issue.priority", "lastSeen", "subscribed", "timesSeen",
    }
)  # fmt: skip

# Workflow filters: keys the query syntax cannot spell, so no tag search can collide with them.
ASSIGNEE, ASSIGNEE_ID, IS_ASSIGNED, BOOKMARKED_BY = "@assignee", "@assignee_id", "@assigned", "@bm"
# `is:` values that are not statuses.
IS_FLAGS = ("assigned", "unassigned", "bookmarked")

# !key:"quoted value" | key:value | "quoted text" | word; `\"` escapes a quote.
TOKEN = re.compile(
    r'(?P<neg>!)?(?P<key>[\w.-]+):(?:"(?P<qval>(?:\\.|[^"\\])*)"|(?P<val>\S+))'
    r'|"(?P<text>(?:\\.|[^"\\])*)"'
    r"|(?P<word>\S+)"
)
UNESCAPE = re.compile(r'\\(["\\])')
SHORT_ID = re.compile(r"(?P<slug>[\w-]+)-(?P<number>\d{1,9})")

# Each term becomes a filter; bound the SQL a single request can ask for.
MAX_QUERY_CHARS = 1000
MAX_TERMS = 20


class SearchError(ValueError):
    """A search that cannot be run; the message is meant for the person who typed it."""


@dataclass(frozen=True)
class Filter:
    key: str  # one of ISSUE_KEYS, else a tag key
    value: str
    negated: bool = False


@dataclass(frozen=True)
class Search:
    statuses: frozenset[str] | None = None  # None: the query leaves the status open
    filters: tuple[Filter, ...] = ()
    text: tuple[str, ...] = ()


def statuses_named(value: str) -> frozenset[str]:
    """The statuses of one `is:` value."""
    found = STATUSES.get(value.lower())
    if found is None:
        names = ", ".join(f"is:{name}" for name in STATUSES)
        raise SearchError(f"Unknown status is:{value[:50]}. Use one of {names}.")
    return found


def _level(value: str) -> str:
    if value.lower() not in LEVELS:
        raise SearchError(f"Unknown level {value[:50]!r}. Use one of {', '.join(LEVELS)}.")
    return value.lower()


def _me(user: object, what: str) -> str:
    pk = getattr(user, "pk", None)
    if pk is None:
        raise SearchError(f"{what} needs a signed-in user.")
    return str(pk)


def _flag_filter(name: str, negated: bool, user: object) -> Filter:
    if name == "bookmarked":
        return Filter(BOOKMARKED_BY, _me(user, "is:bookmarked"), negated)
    return Filter(IS_ASSIGNED, "", negated if name == "assigned" else not negated)


def _key_filter(key: str, value: str, negated: bool, user: object = None) -> Filter:
    if key == "assigned":
        if value.lower() == "me":
            return Filter(ASSIGNEE_ID, _me(user, "assigned:me"), negated)
        return Filter(ASSIGNEE, value, negated)
    if key == "bookmarks":
        if value.lower() != "me":
            raise SearchError("Only bookmarks:me is supported.")
        return Filter(BOOKMARKED_BY, _me(user, "bookmarks:me"), negated)
    if key in UNSUPPORTED_KEYS:
        raise SearchError(f"Searching by {key}: is not supported.")
    if key.lower() in ISSUE_KEYS:
        key = key.lower()
        value = _level(value) if key == "level" else value
    return Filter(key, value, negated)


def _combine_statuses(terms: list[tuple[frozenset[str], bool]]) -> frozenset[str] | None:
    """Any of the `is:` values, but none of the negated ones."""
    if not terms:
        return None
    wanted = [s for s, negated in terms if not negated]
    chosen = frozenset().union(*wanted) if wanted else ALL_STATUSES
    return chosen.difference(*(s for s, negated in terms if negated))


def parse(query: str, user: object = None) -> Search:
    """`user` is who searches (for `assigned:me`, `is:bookmarked`). Raises SearchError for an
    unknown `is:` value or level, an unsupported key, or a query past the limits."""
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(f"The query is too long ({MAX_QUERY_CHARS} characters at most).")
    statuses: list[tuple[frozenset[str], bool]] = []
    filters: list[Filter] = []
    text: list[str] = []
    for n, match in enumerate(TOKEN.finditer(query)):
        if n >= MAX_TERMS:
            raise SearchError(f"The query has too many terms ({MAX_TERMS} at most).")
        negated = match["neg"] is not None
        if match["key"] is None:
            word = match["word"] if match["text"] is None else UNESCAPE.sub(r"\1", match["text"])
            text += [word.strip()] if word.strip() else []
        elif match["key"].lower() == "is" and (match["val"] or "").lower() in IS_FLAGS:
            filters.append(_flag_filter(match["val"].lower(), negated, user))
        elif match["key"].lower() == "is":
            statuses.append((statuses_named(match["val"] or match["qval"] or ""), negated))
        else:
            value = match["val"] if match["qval"] is None else UNESCAPE.sub(r"\1", match["qval"])
            filters.append(_key_filter(match["key"], value, negated, user))
    return Search(_combine_statuses(statuses), tuple(filters), tuple(text))


# --- filters ---------------------------------------------------------------------------------


def _tag(key: str, value: str) -> Q:
    return Q(Exists(IssueTagValue.objects.filter(issue=OuterRef("pk"), key=key, value=value)))


def environment_q(name: str) -> Q:
    """Seen in that environment: the issue's list of them, or its aggregated tag values."""
    if connection.vendor == "postgresql":
        listed = Q(environments__contains=[name])
    else:  # SQLite has no JSON containment; a JSON string's text (quotes included) is whole
        listed = Q(Contains(Cast("environments", TextField()), json.dumps(name)))
    return listed | _tag("environment", name)


def in_environments(names: list[str]) -> Q:
    """Seen in any of them: the list's environment choice and the API's `environment=`."""
    either = Q()
    for name in names[:MAX_TERMS]:
        either |= environment_q(name)
    return either


def _filter_q(term: Filter) -> Q:
    key, value = term.key, term.value
    if key == ASSIGNEE_ID:
        return Q(assigned_to_id=int(value))
    if key == ASSIGNEE:
        return Q(assigned_to__username=value) | Q(assigned_to__email__iexact=value)
    if key == IS_ASSIGNED:
        return Q(assigned_to__isnull=False)
    if key == BOOKMARKED_BY:
        mine = IssueUserFlags.objects.filter(issue=OuterRef("pk"), user_id=int(value))
        return Q(Exists(mine.filter(bookmarked=True)))
    if key == "level":
        return Q(level=value)
    if key == "environment":
        return environment_q(value)
    if key == "release":  # first or last release, or any release an event carried
        return Q(first_release=value) | Q(last_release=value) | _tag("release", value)
    return _tag(key, value)  # as Sentry does: browser:Chrome


def _text_q(term: str) -> Q:
    q = Q(title__icontains=term) | Q(culprit__icontains=term) | Q(message__icontains=term)
    # A short id such as BACKEND-12 finds that issue, as in Sentry.
    if short := SHORT_ID.fullmatch(term):
        q |= Q(short_id=int(short["number"]), project__slug__iexact=short["slug"])
    return q


def apply(qs: QuerySet[Issue], search: Search) -> QuerySet[Issue]:
    # Every status is no condition at all, so the list keeps its (project, last_seen) index.
    if search.statuses is not None and search.statuses != ALL_STATUSES:
        qs = qs.filter(status__in=sorted(search.statuses))
    for term in search.filters:
        qs = qs.filter(~_filter_q(term) if term.negated else _filter_q(term))
    for word in search.text:
        qs = qs.filter(_text_q(word))
    return qs
