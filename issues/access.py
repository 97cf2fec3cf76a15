"""Fetch issues and events only through the user's memberships; anything else is a 404."""

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404

from issues.models import Issue
from projects.access import membership_for
from projects.models import Membership


def issue_for(user: AbstractBaseUser, slug: str, pk: int) -> tuple[Membership, Issue]:
    membership = membership_for(user, slug)
    issue = Issue.objects.filter(project=membership.project, pk=pk).first()
    if issue is None:
        raise Http404
    issue.project = membership.project  # already loaded; saves a query per use
    return membership, issue
