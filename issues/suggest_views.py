"""The search box's completions: an HTML fragment that htmx puts under the box."""

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.http import AuthenticatedHttpRequest
from issues import suggest
from issues.models import Issue
from projects.access import project_member, projects_for
from projects.models import Membership


def _fragment(request: AuthenticatedHttpRequest, issues: QuerySet[Issue]) -> HttpResponse:
    found = suggest.suggest(issues, request.GET.get("query", ""))
    return render(request, "issues/_suggestions.html", {"suggestions": found})


@require_GET
@project_member
def suggest_project(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    return _fragment(request, Issue.objects.filter(project=membership.project))


@require_GET
def suggest_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    """For the list of all my projects' issues."""
    return _fragment(request, Issue.objects.filter(project__in=projects_for(request.user)))
