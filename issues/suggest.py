"""Search-box help: every key with an example (the popover), and completions for the query's
last term (keys, then values: fixed ones, else the top tag values among recent issues)."""

import re
from dataclasses import dataclass

from django.db.models import QuerySet, Sum

from issues import search
from issues.models import Issue, IssueTagValue
from issues.tags import SEARCHABLE_KEY

# (term, example, what it finds): the popover's table and the keys offered while typing.
HELP: tuple[tuple[str, str, str], ...] = (
    ("is:", "is:unresolved", "status: unresolved, resolved, ignored, all; assigned, "
     "unassigned, bookmarked"),
    ("level:", "level:error", "fatal, error, warning, info, debug"),
    ("environment:", "environment:production", "seen in that environment"),
    ("release:", "release:1.4.2", "first or last release, or any release seen"),
    ("firstRelease:", "firstRelease:1.4.2", "first seen in that release"),
    ("assigned:", "assigned:me", "assigned to you, or to a username or email"),
    ("bookmarks:", "bookmarks:me", "bookmarked by you"),
    ("user.email:", "user.email:ann@example.com", "an event's user had that email"),
    ("user.id:", "user.id:42", "an event's user had that id"),
    ("times_seen:", "times_seen:>100", "event count: >, >=, <, <=, = or a plain number"),
    ("age:", "age:-24h", "first seen within 24 hours; age:+7d: over 7 days ago (m, h, d, w)"),
    ("lastSeen:", "lastSeen:-1h", "last seen within the hour; lastSeen:+30d: not for 30 days"),
    ("browser:", 'browser:"Chrome 120"', "any other key is a tag: os:, url:, server_name:, …"),
    ("!", "!environment:staging", "negates any key: !is:resolved, !times_seen:>5, "
     "!assigned:me"),
    ("text", '"card declined"', "words or quoted phrases in the title, culprit or message; a "
     "short id such as SHOP-12"),
)  # fmt: skip
KEYS = tuple(term for term, _, _ in HELP if term.endswith(":"))
# Values offered without a query, by the lower-case key.
FIXED_VALUES: dict[str, tuple[str, ...]] = {
    "is": (*search.STATUSES, *search.IS_FLAGS),
    "level": search.LEVELS,
    "assigned": ("me",),
    "bookmarks": ("me",),
    "times_seen": (">10", ">100", "<5"),
    "timesseen": (">10", ">100", "<5"),
    "age": ("-1h", "-24h", "-7d", "+7d", "+30d"),
    "firstseen": ("-1h", "-24h", "-7d", "+7d", "+30d"),
    "lastseen": ("-1h", "-24h", "-7d", "+7d", "+30d"),
}
# Keys whose values come from another tag; the user's keys offer none (a list of emails).
TAG_FOR = {"firstrelease": "release", "user.email": "", "user.id": ""}
RECENT_ISSUES = 1000  # values and keys come from these; bounds the query on a large project
SHOWN = 10
NEEDS_QUOTES = re.compile(r'[\s"\\]')


@dataclass(frozen=True)
class Suggestion:
    query: str  # the whole query with its last term completed
    label: str  # the completed term


def _quoted(value: str) -> str:
    if not NEEDS_QUOTES.search(value) and value:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _recent(issues: QuerySet[Issue]) -> QuerySet[Issue, int]:
    return issues.order_by("-last_seen").values_list("pk", flat=True)[:RECENT_ISSUES]


def _tag_keys(issues: QuerySet[Issue], prefix: str) -> list[str]:
    """The tag keys of recent issues that start with `prefix` (one query)."""
    rows = (
        IssueTagValue.objects.filter(issue__in=_recent(issues), key__istartswith=prefix)
        .values_list("key", flat=True)
        .distinct()
        .order_by("key")[: SHOWN * 2]
    )
    return [k for k in rows if SEARCHABLE_KEY.fullmatch(k) and k.lower() not in search.NOT_TAGS]


def _tag_values(issues: QuerySet[Issue], key: str, prefix: str) -> list[str]:
    """The most counted values of `key` among recent issues that start with `prefix`."""
    rows = (
        IssueTagValue.objects.filter(issue__in=_recent(issues), key=key, value__istartswith=prefix)
        .values("value")
        .annotate(n=Sum("count"))
        .order_by("-n", "value")
        .values_list("value", flat=True)[:SHOWN]
    )
    return list(rows)


def _split(query: str) -> tuple[str, str, str]:
    """(what comes before the last term, "!" or "", the last term)."""
    head, _, term = query.rpartition(" ") if not query.endswith(" ") else (query, "", "")
    head = f"{head} " if head and not head.endswith(" ") else head
    if term.startswith("!"):
        return head, "!", term[1:]
    return head, "", term


def _keys(issues: QuerySet[Issue], head: str, neg: str, term: str) -> list[Suggestion]:
    found = [k for k in KEYS if k.lower().startswith(term.lower())]
    if len(found) < SHOWN:
        found += [f"{k}:" for k in _tag_keys(issues, term) if f"{k}:" not in KEYS]
    return [Suggestion(f"{head}{neg}{k}", f"{neg}{k}") for k in found[:SHOWN]]


def _values(issues: QuerySet[Issue], key: str, prefix: str) -> list[str]:
    fixed = FIXED_VALUES.get(key.lower())
    if fixed is not None:
        return [v for v in fixed if v.lower().startswith(prefix.lower())]
    tag = TAG_FOR.get(key.lower(), key)
    return _tag_values(issues, tag, prefix) if tag else []


def suggest(issues: QuerySet[Issue], query: str) -> list[Suggestion]:
    """Completions of the query's last term among `issues` (the caller's, access-checked):
    at most one query; none for a query the search would refuse as too long."""
    if len(query) > search.MAX_QUERY_CHARS:
        return []
    head, neg, term = _split(query)
    if ":" not in term:
        return _keys(issues, head, neg, term)
    key, _, prefix = term.partition(":")
    if not SEARCHABLE_KEY.fullmatch(key):
        return []
    prefix = prefix[1:] if prefix.startswith('"') else prefix
    return [
        Suggestion(f"{head}{neg}{key}:{_quoted(v)} ", f"{neg}{key}:{_quoted(v)}")
        for v in _values(issues, key, prefix)
    ]
