"""Fetch projects, issues and events only through the token user's memberships.

The membership lookups are projects.access's, the same as the UI's; only the answers differ:
every refusal here is a 404 (api.auth turns it into JSON), as a token sees no admin pages.
"""

import re

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404

from core.event_ids import normalize_event_id
from events.models import Event
from issues.models import Issue, IssueRedirect
from projects.access import membership_for, projects_for
from projects.models import Project

SHORT_ID = re.compile(r"(?P<prefix>[A-Za-z0-9][A-Za-z0-9_-]*)-(?P<number>\d{1,9})")
# Larger numbers cannot be a primary key on any backend; don't send them to the database.
MAX_DIGITS = 18


def check_org(org_slug: str) -> None:
    """One organization per installation: any other slug does not exist."""
    if org_slug != settings.ORGANIZATION_SLUG:
        raise Http404


def project_for(user: User, org_slug: str, project_slug: str) -> Project:
    check_org(org_slug)
    return membership_for(user, project_slug).project


def issues_for(user: User) -> QuerySet[Issue]:
    return Issue.objects.filter(project__in=projects_for(user))


def issue_for(user: User, issue_id: str) -> Issue:
    """An issue by numeric id or by short id (`BACKEND-12`), as Sentry accepts both."""
    qs = issues_for(user).select_related("project", "assigned_to")
    if issue_id.isdigit() and len(issue_id) <= MAX_DIGITS:
        issue = qs.filter(pk=int(issue_id)).first()
        if issue is None:  # merged into another issue: Sentry answers with that one
            redirect = IssueRedirect.objects.filter(old_id=int(issue_id)).first()
            issue = qs.filter(pk=redirect.issue_id).first() if redirect else None
    elif match := SHORT_ID.fullmatch(issue_id):
        issue = qs.filter(
            project__slug=match["prefix"].lower(), short_id=int(match["number"])
        ).first()
    else:
        issue = None
    if issue is None:
        raise Http404
    return issue


def event_for(project: Project, event_id: str) -> Event:
    """The project's event by plain or dashed id, any case; a malformed id is a 404 too."""
    stored_id = normalize_event_id(event_id)
    if stored_id is None:
        raise Http404
    event = (
        Event.objects.select_related("issue", "issue__project")
        .filter(project=project, event_id=stored_id)
        .first()
    )
    if event is None:
        raise Http404
    return event
