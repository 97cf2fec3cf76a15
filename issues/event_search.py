"""The issue search's syntax over one issue's events: the same parser (issues/search.py),
answered from the event rows' columns and stored tags."""

from types import SimpleNamespace

from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact, IsNull

from core.event_ids import normalize_event_id
from events.models import Event
from issues import search
from issues.users import USER_EMAIL_TAG

# Keys with a column of their own on the event row; any other key is one of its tags.
COLUMNS = {"level": "level", "environment": "environment", "release": "release"}
COLUMNS |= {"user": "user_ident", "sentry:user": "user_ident", search.USER_ID: "user_ident"}
# Parses `assigned:me` so that it gets the message below, not "needs a signed-in user".
ANY_USER = SimpleNamespace(pk=0)
# What only issues have, by the name the message gives.
ISSUE_ONLY = {
    search.TIMES_SEEN: "times_seen", search.FIRST_SEEN: "age", search.LAST_SEEN: "lastSeen",
    search.FIRST_RELEASE: "firstRelease", search.ASSIGNEE: "assigned",
    search.ASSIGNEE_ID: "assigned", search.IS_ASSIGNED: "is", search.BOOKMARKED_BY: "bookmarks",
}  # fmt: skip


def _user_email_q(email: str, negated: bool) -> Q:
    """As the issue search: the stored `user.email` tag, else the row's user when it is that."""
    tag = KeyTextTransform(USER_EMAIL_TAG, "tags")
    if negated:  # an event without the tag has no other email
        return (~Q(Exact(tag, email)) | Q(IsNull(tag, True))) & ~Q(user_ident=email)
    return Q(Exact(tag, email)) | Q(user_ident=email)


def _filter_q(term: search.Filter) -> Q:
    if term.key in ISSUE_ONLY:
        raise search.SearchError(f"{ISSUE_ONLY[term.key]}: searches issues only, not events.")
    if term.key == search.USER_EMAIL:
        return _user_email_q(term.value, term.negated)
    column = COLUMNS.get(term.key)
    if column:
        matches = Q(**{column: term.value})
        return ~matches if term.negated else matches
    tag = KeyTextTransform(term.key, "tags")
    if term.negated:  # an event without the tag does not have that value either
        return ~Q(Exact(tag, term.value)) | Q(IsNull(tag, True))
    return Q(Exact(tag, term.value))


def _text_q(word: str) -> Q:
    """An event id (32 hex digits or a dashed UUID); events keep no message to search."""
    event_id = normalize_event_id(word)
    if event_id is None:
        raise search.SearchError(
            f"Events are searched by key:value or an event id, not by text ({word[:50]!r})."
        )
    return Q(event_id=event_id)


def filter_events(qs: QuerySet[Event], query: str) -> QuerySet[Event]:
    """Raises search.SearchError as the issue search does, for `is:` (events have no status),
    for keys only issues have (`times_seen:`, `assigned:`, ...) and for free text that is no
    event id."""
    parsed = search.parse(query, user=ANY_USER)
    if parsed.statuses is not None:
        raise search.SearchError("Events have no status: is: searches issues only.")
    conditions = [_text_q(word) for word in parsed.text]
    conditions += [_filter_q(term) for term in parsed.filters]
    for condition in conditions:
        qs = qs.filter(condition)
    return qs
