"""Sentry-style cursors (`<value>:<offset>:<is_prev>`) and `Link` headers.

We page by offset, as Sentry's OffsetPaginator does, so the value part is always 0. Pages are
capped at 100 rows and the deepest page an issue can have is bounded by event retention.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest

MAX_LIMIT = 100
# An offset beyond this is no page anyone reads; refuse it rather than scan for it.
MAX_OFFSET = 1_000_000


class PaginationError(ValueError):
    """Bad cursor or limit; shown to the client as a 400."""


@dataclass
class Page:
    rows: list[Any]
    offset: int
    limit: int
    has_next: bool


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return MAX_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise PaginationError(f"limit must be a number from 1 to {MAX_LIMIT}.")
    return int(raw)


def parse_cursor(raw: str | None) -> int:
    """The offset a cursor points at; a missing cursor is the first page."""
    if raw is None or raw == "":
        return 0
    parts = raw.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[1]) > 7:
        raise PaginationError("Invalid cursor.")
    offset = int(parts[1])
    if offset > MAX_OFFSET:
        raise PaginationError("Invalid cursor.")
    return offset


def paginate(request: HttpRequest, qs: QuerySet) -> Page:
    """One query: a page plus one row, to know whether a next page exists without COUNT."""
    limit = parse_limit(request.GET.get("limit"))
    offset = parse_cursor(request.GET.get("cursor"))
    rows = list(qs[offset : offset + limit + 1])
    return Page(rows=rows[:limit], offset=offset, limit=limit, has_next=len(rows) > limit)


def _cursor(offset: int, is_prev: bool) -> str:
    return f"0:{offset}:{int(is_prev)}"


def link_header(request: HttpRequest, base_url: str, page: Page) -> str:
    """Both links are always present, `results` telling whether following one is worthwhile."""
    prev_offset = max(page.offset - page.limit, 0)
    links = [
        ("previous", page.offset > 0, _cursor(prev_offset, True)),
        ("next", page.has_next, _cursor(page.offset + page.limit, False)),
    ]
    params = [(k, v) for k, v in request.GET.items() if k != "cursor"]
    parts = []
    for rel, results, cursor in links:
        url = f"{base_url}{request.path}?{urlencode([*params, ('cursor', cursor)])}"
        parts.append(f'<{url}>; rel="{rel}"; results="{str(results).lower()}"; cursor="{cursor}"')
    return ", ".join(parts)
