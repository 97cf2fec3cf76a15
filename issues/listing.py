"""The issue list shared by the per-project and the global page: tabs, search, sort, pages."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import QueryDict

from issues import charts, search
from issues.models import Issue

PER_PAGE = 50
TABS = ["unresolved", "resolved", "ignored", "all"]
SORTS = {
    "last_seen": ("-last_seen", "-id"),
    "first_seen": ("-first_seen", "-id"),
    "events": ("-event_count", "-id"),
}


@dataclass
class Listing:
    page: Page
    tab: str
    sort: str
    query: str
    sparklines: dict

    @property
    def tabs(self) -> list[str]:
        return TABS


def build(qs: QuerySet[Issue], params: QueryDict) -> Listing:
    query = params.get("query", "")[:500]
    parsed = search.parse(query)
    tab = parsed.status or params.get("tab", "unresolved")
    if tab not in TABS:
        tab = "unresolved"
    sort = params.get("sort", "last_seen")
    if sort not in SORTS:
        sort = "last_seen"
    qs = qs.filter(status__in=search.IS_FILTERS[tab]) if tab != "all" else qs
    qs = (
        search.apply(qs, parsed)
        .select_related("project")
        .defer("grouping_components", "message", "environments")  # not shown; can be large
        .order_by(*SORTS[sort])
    )
    page = Paginator(qs, PER_PAGE).get_page(params.get("page"))
    issues = list(page.object_list)
    page.object_list = issues
    return Listing(
        page=page,
        tab=tab,
        sort=sort,
        query=query,
        sparklines=charts.sparklines([i.pk for i in issues]),
    )
