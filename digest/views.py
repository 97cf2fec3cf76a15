"""The unmerge action: here, not in issues/, because it regroups events as the digest does."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from core.http import AuthenticatedHttpRequest
from digest.unmerge import unmerge as unmerge_hashes
from issues.access import issue_member
from issues.merge import MergeError
from issues.models import Issue
from projects.models import Membership


@require_POST
@issue_member
def unmerge(
    request: AuthenticatedHttpRequest, membership: Membership, issue: Issue
) -> HttpResponse:
    try:
        new = unmerge_hashes(issue, request.POST.getlist("hash"), request.user)
    except MergeError as exc:
        messages.error(request, str(exc))
        return redirect("issues:merged", issue.project.slug, issue.pk)
    messages.success(request, f"Unmerged into {new.short_code}.")
    return redirect("issues:detail", issue.project.slug, new.pk)
