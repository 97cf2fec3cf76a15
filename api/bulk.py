"""Bulk status changes on a project's issues (`PUT .../issues/?id=1&id=2`), as sentry-cli
sends for `issues resolve|mute|unresolve`."""

from django.contrib.auth.models import User
from django.db import transaction
from django.http import QueryDict

from api import status as status_change
from issues import search, sorting
from issues.models import Issue
from projects.models import Project

# Sentry's own cap on one bulk mutation.
BULK_LIMIT = 1000


def select(project: Project, params: QueryDict, user: object = None) -> list[Issue]:
    """Issues picked by `id` (repeatable), else by `status`, else by `query`, else all."""
    qs = Issue.objects.filter(project=project)
    ids = params.getlist("id")
    if ids:
        if not all(i.isdigit() and len(i) <= 18 for i in ids) or len(ids) > BULK_LIMIT:
            raise search.SearchError(f"id must be up to {BULK_LIMIT} numeric issue ids.")
        qs = qs.filter(pk__in=[int(i) for i in ids])
    elif status := params.get("status"):
        qs = search.apply(qs, search.Search(statuses=search.statuses_named(status)))
    elif query := params.get("query"):
        qs = search.apply(qs, search.parse(query, user))
    return list(qs.order_by(*sorting.DEFAULT.order_by)[:BULK_LIMIT])  # most recently seen first


@transaction.atomic
def update(issues: list[Issue], change: status_change.StatusChange, user: User) -> None:
    # One transaction: a bulk change happens to all the issues or to none.
    for issue in issues:
        status_change.apply(issue, change, user)
