"""Project pages that need issue data: the project list, and the setup page's poll for the
first event (the setup page itself is `projects:setup`, which cannot see issues)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.http import AuthenticatedHttpRequest
from issues.models import Issue
from issues.project_overview import project_rows
from projects.access import project_member
from projects.models import Membership


@require_GET
def project_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    memberships = list(
        Membership.objects.filter(user=request.user)
        .select_related("project")
        .order_by("project__name")
    )
    return render(request, "projects/list.html", {"rows": project_rows(memberships)})


@never_cache
@require_GET
@project_member
def first_event(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """The waiting fragment while the project has no issue, then a link to its first one.

    htmx polls it; while nothing has arrived it answers htmx 204, which swaps nothing (so
    screen readers are not told "waiting" every 3 s), and the arrived fragment ends the poll.
    """
    project = membership.project
    issue = Issue.objects.filter(project=project).order_by("first_seen", "pk").first()
    if issue is None and request.headers.get("HX-Request"):
        return HttpResponse(status=204)
    if issue is not None:
        issue.project = project  # short_code reads it: no extra query
    context = {"project": project, "first_issue": issue}
    return render(request, "issues/_first_event.html", context)
