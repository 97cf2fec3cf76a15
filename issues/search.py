"""Issue search, the one parser for the UI and the API: Sentry's syntax as queryset filters.

`is:unresolved level:error !environment:staging browser:"Chrome 120" some text`
`assigned:me`, `assigned:<username or email>`, `is:assigned`, `is:unassigned`,
`is:bookmarked` and `bookmarks:me` need the searching user (`parse(query, user)`).
`times_seen:>10`, `age:-24h`, `lastSeen:+7d`, `firstRelease:1.0`, `user.email:`, `user.id:`.
"""

import difflib
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.db.models.lookups import Contains
from django.utils import timezone

from issues.models import Issue, IssueStatus, IssueTagValue, IssueUserFlags
from issues.users import USER_EMAIL_TAG, USER_TAG

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
    {"assigned_or_suggested", "has", "issue.category", "issue.priority", "subscribed"}
)

# Workflow filters: keys the query syntax cannot spell, so no tag search can collide with them.
ASSIGNEE, ASSIGNEE_ID, IS_ASSIGNED, BOOKMARKED_BY = "@assignee", "@assignee_id", "@assigned", "@bm"
# Issue columns and the event's user, the same way.
TIMES_SEEN, FIRST_SEEN, LAST_SEEN = "@times_seen", "@first_seen", "@last_seen"
FIRST_RELEASE, USER_EMAIL, USER_ID = "@first_release", "@user.email", "@user.id"
# The query's names for them, in lower case (keys are matched in any case); Sentry's spellings.
NAMED_KEYS = {
    "times_seen": TIMES_SEEN, "timesseen": TIMES_SEEN, "age": FIRST_SEEN,
    "firstseen": FIRST_SEEN, "lastseen": LAST_SEEN, "firstrelease": FIRST_RELEASE,
    "user.email": USER_EMAIL, "user.id": USER_ID,
}  # fmt: skip
# Keys that never find a tag of that name, in lower case (issues/tags.py links no value by them).
NOT_TAGS = frozenset({"is", "assigned", "bookmarks", *NAMED_KEYS} - {"user.email"}) | {
    key.lower() for key in UNSUPPORTED_KEYS
}
# `is:` values that are not statuses.
IS_FLAGS = ("assigned", "unassigned", "bookmarked")

# !key:"quoted value" | key:value | "quoted text" | word; `\"` escapes a quote.
TOKEN = re.compile(
    r'(?P<neg>!)?(?P<key>[\w.-]+):(?:"(?P<qval>(?:\\.|[^"\\])*)"|(?P<val>\S+))'
    r'|"(?P<text>(?:\\.|[^"\\])*)"'
    r"|(?P<word>\S+)"
)
UNESCAPE = re.compile(r'\\(["\\])')
COMPARISON = re.compile(r"(?P<op>[<>]=?|=)?(?P<n>\d{1,18})")
# Sentry's relative times: `-24h` is less than 24 hours ago, `+7d` more than 7 days ago.
RELATIVE = re.compile(r"(?P<sign>[-+])(?P<n>\d{1,6})(?P<unit>[mhdw])")
UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_AGE_SECONDS = 100 * 366 * 86400  # past this, `now - age` leaves datetime's range
SHORT_ID = re.compile(r"(?P<slug>[\w-]+)-(?P<number>\d{1,9})")

# Each term becomes a filter; bound the SQL a single request can ask for.
MAX_QUERY_CHARS = 1000
MAX_TERMS = 20


class SearchError(ValueError):
    """A search that cannot be run; the message is meant for the person who typed it."""


@dataclass(frozen=True)
class Filter:
    key: str  # one of ISSUE_KEYS or the "@" keys above, else a tag key
    # times_seen: the count; age/lastSeen: seconds; else the value as typed
    value: str
    negated: bool = False
    # times_seen: how the count compares to `value`; age/lastSeen: "<" newer, ">" older
    op: str = "="


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


def _times_seen(key: str, value: str) -> Filter:
    match = COMPARISON.fullmatch(value)
    if match is None:
        raise SearchError(
            f"{key}: needs a whole number, optionally after >, >=, <, <= or =, like {key}:>10"
            f" (not {value[:50]!r})."
        )
    return Filter(TIMES_SEEN, str(int(match["n"])), op=match["op"] or "=")


def _relative(key: str, internal: str, value: str) -> Filter:
    match = RELATIVE.fullmatch(value)
    if match is None:
        raise SearchError(
            f"{key}: needs - (within the last) or + (longer ago than), a number and a unit"
            f" (m, h, d or w), like {key}:-24h or {key}:+7d (not {value[:50]!r})."
        )
    seconds = int(match["n"]) * UNIT_SECONDS[match["unit"]]
    if seconds > MAX_AGE_SECONDS:
        raise SearchError(f"{key}: goes back 100 years at most (not {value[:50]!r}).")
    return Filter(internal, str(seconds), op="<" if match["sign"] == "-" else ">")


def _named_filter(key: str, value: str) -> Filter:
    """A key of NAMED_KEYS, spelled `key` in the query."""
    internal = NAMED_KEYS[key.lower()]
    if internal == TIMES_SEEN:
        return _times_seen(key, value)
    if internal in (FIRST_SEEN, LAST_SEEN):
        return _relative(key, internal, value)
    return Filter(internal, value)


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
    if key.lower() in NAMED_KEYS:
        return replace(_named_filter(key, value), negated=negated)
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


def user_email_q(email: str) -> Q:
    """The digest tags `user.email` only where the `user` tag is not the email already (a user
    with an id); events digested before it are found through `user` when it holds the email."""
    return _tag_in((USER_EMAIL_TAG, USER_TAG), email)


def user_id_q(user_id: str) -> Q:
    """The `user` tag is the id whenever the user has one (`digest.normalize.user_ident`); an
    id-less user whose email, username or IP reads the same matches too."""
    return _tag_in((USER_TAG,), user_id)


def _tag_in(keys: tuple[str, ...], value: str) -> Q:
    return Q(Exists(IssueTagValue.objects.filter(issue=OuterRef("pk"), key__in=keys, value=value)))


LOOKUPS = {"=": "exact", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
COLUMNS = {TIMES_SEEN: "event_count", FIRST_SEEN: "first_seen", LAST_SEEN: "last_seen"}


def _column_q(term: Filter, now: datetime) -> Q:
    column = COLUMNS[term.key]
    if term.key == TIMES_SEEN:
        return Q(**{f"{column}__{LOOKUPS[term.op]}": int(term.value)})
    cutoff = now - timedelta(seconds=int(term.value))
    return Q(**{f"{column}__{'gte' if term.op == '<' else 'lt'}": cutoff})


def in_environments(names: list[str]) -> Q:
    """Seen in any of them: the list's environment choice and the API's `environment=`."""
    either = Q()
    for name in names[:MAX_TERMS]:
        either |= environment_q(name)
    return either


def _filter_q(term: Filter, now: datetime) -> Q:
    key, value = term.key, term.value
    if key in COLUMNS:
        return _column_q(term, now)
    if key == FIRST_RELEASE:
        return Q(first_release=value)
    if key == USER_EMAIL:
        return user_email_q(value)
    if key == USER_ID:
        return user_id_q(value)
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


# What a mistyped key is compared with for "did you mean".
SPELLED_KEYS = ("is", *ISSUE_KEYS, "assigned", "bookmarks", *NAMED_KEYS, "user")


def check_tag_keys(qs: QuerySet[Issue], search: Search) -> None:
    """Raise SearchError for a tag key that no issue of `qs` has (`lavel:error`): a typo
    would otherwise find nothing, silently. One EXISTS per distinct tag key of the query
    (at most MAX_TERMS), each stopping at the first row. The UI asks this; the API does not:
    a script may search for a tag that no event carries yet, and gets no issues."""
    keys = sorted({f.key for f in search.filters if f.key not in ISSUE_KEYS and f.key[0] != "@"})
    for key in keys:
        if not IssueTagValue.objects.filter(key=key, issue__in=qs.values("pk")).exists():
            close = difflib.get_close_matches(key.lower(), SPELLED_KEYS, n=1)
            hint = f" Did you mean {close[0]}:?" if close else ""
            raise SearchError(f"Unknown key {key[:50]}: no issue here has that tag.{hint}")


def apply(qs: QuerySet[Issue], search: Search, now: datetime | None = None) -> QuerySet[Issue]:
    """`now` is what `age:` and `lastSeen:` count back from."""
    now = now or timezone.now()
    # Every status is no condition at all, so the list keeps its (project, last_seen) index.
    if search.statuses is not None and search.statuses != ALL_STATUSES:
        qs = qs.filter(status__in=sorted(search.statuses))
    for term in search.filters:
        q = _filter_q(term, now)
        qs = qs.filter(~q if term.negated else q)
    for word in search.text:
        qs = qs.filter(_text_q(word))
    return qs
