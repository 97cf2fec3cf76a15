"""The issue list shared by the per-project and the global page: tabs, search, sort, pages."""

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, QuerySet
from django.http import QueryDict

from issues import charts, search, sorting, users
from issues.models import Issue, IssueUserFlags

PER_PAGE = 50
TABS = ["unresolved", "resolved", "ignored", "all"]  # each is also an `is:` value


@dataclass
class Listing:
    page: Page
    tab: str  # "" when the query's `is:` terms select no tab's statuses
    sort: str  # the sort order's UI name
    query: str
    sparklines: dict
    error: str = ""  # why the query could not be run; shown beside the search box
    environment: str = ""  # only issues seen there; "" for all

    @property
    def environment_query(self) -> str:
        """`environment=…` for the links that keep the choice, or ""."""
        return urlencode({"environment": self.environment}) if self.environment else ""

    @property
    def tabs(self) -> list[str]:
        return TABS

    @property
    def sorts(self) -> tuple[sorting.SortOrder, ...]:
        return sorting.ORDERS


def _tab_for(statuses: frozenset[str]) -> str:
    return next((tab for tab in TABS if search.STATUSES[tab] == statuses), "")


def _parse(query: str, tab: str, user: object) -> tuple[search.Search, str]:
    """The search with its statuses, and the tab to show: the query's `is:` overrides the tab."""
    parsed = search.parse(query, user)
    if parsed.statuses is not None:
        return parsed, _tab_for(parsed.statuses)
    return replace(parsed, statuses=search.STATUSES[tab]), tab


def build(qs: QuerySet[Issue], params: QueryDict, user: object = None) -> Listing:
    """`user` searches (`assigned:me`) and sees their bookmarks starred (`issue.bookmarked`)."""
    query = params.get("query", "")
    environment = params.get("environment", "")
    tab = params.get("tab", "unresolved")
    tab = tab if tab in TABS else "unresolved"
    sort = sorting.find(params.get("sort", "")) or sorting.DEFAULT
    try:
        parsed, tab = _parse(query, tab, user)
        search.check_tag_keys(qs, parsed)
    except search.SearchError as exc:
        no_issues: list[Issue] = []
        empty = Paginator(no_issues, PER_PAGE).get_page(1)
        return Listing(empty, tab, sort.ui_name, query, {}, str(exc), environment)
    mine = IssueUserFlags.objects.filter(
        issue=OuterRef("pk"), user_id=getattr(user, "pk", None) or 0, bookmarked=True
    )
    if environment:
        qs = qs.filter(search.in_environments([environment]))
    qs = (
        users.with_user_count(search.apply(qs, parsed))
        .annotate(bookmarked=Exists(mine))
        .select_related("project", "assigned_to")
        .defer("grouping_components", "message", "environments")  # not shown; can be large
        .order_by(*sort.order_by)
    )
    page = Paginator(qs, PER_PAGE).get_page(params.get("page"))
    issues = list(page.object_list)
    page.object_list = issues
    return Listing(
        page=page,
        tab=tab,
        sort=sort.ui_name,
        query=query,
        sparklines=charts.sparklines([i.pk for i in issues]),
        environment=environment,
    )
