"""An issue's events tab: its events newest first, searched, 50 a page, without a count."""

from dataclasses import dataclass, field
from datetime import datetime

from django.http import QueryDict

from events import presenters
from events.models import Event
from events.payload import decode
from issues import event_search, search
from issues.models import Issue

PER_PAGE = 50
MAX_PAGE = 200  # deeper pages cost an ever larger OFFSET; searching narrows instead


@dataclass(frozen=True)
class EventRow:
    event_id: str
    timestamp: datetime
    release: str
    environment: str
    user: str
    summary: str  # the message, else the exception, from the payload


@dataclass
class EventPage:
    query: str
    page: int
    rows: list[EventRow] = field(default_factory=list)
    has_next: bool = False
    error: str = ""  # why the query could not be run; shown beside the search box


def _summary(event: Event) -> str:
    try:
        return presenters.present_summary(decode(event.payload))
    except Exception:  # a damaged payload shows no message, never takes the page down
        return ""


def _page_number(raw: str | None) -> int:
    return min(int(raw), MAX_PAGE) if raw and raw.isdigit() and int(raw) > 0 else 1


def build(issue: Issue, params: QueryDict) -> EventPage:
    query = params.get("query", "")
    number = _page_number(params.get("page"))
    result = EventPage(query=query, page=number)
    try:
        qs = event_search.filter_events(Event.objects.filter(issue=issue), query)
    except search.SearchError as exc:
        result.error = str(exc)
        return result
    start = (number - 1) * PER_PAGE
    events = list(
        qs.order_by("-received_at", "-id").only(
            "event_id", "timestamp", "release", "environment", "user_ident", "payload"
        )[start : start + PER_PAGE + 1]  # one more says whether a next page exists
    )
    result.has_next = len(events) > PER_PAGE
    result.rows = [
        EventRow(e.event_id, e.timestamp, e.release, e.environment, e.user_ident, _summary(e))
        for e in events[:PER_PAGE]
    ]
    return result
