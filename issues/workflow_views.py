"""Working an issue together: assign, comment, bookmark, mute and delete. One view per action,
POST + CSRF, domain logic in issues.assignment / comments / flags / deletion."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.http import AuthenticatedHttpRequest
from issues import assignment, comments, deletion, flags
from issues.access import issue_member
from issues.models import Comment, Issue
from projects.models import Membership


def _back(issue: Issue, anchor: str = "") -> HttpResponse:
    response = redirect("issues:detail", issue.project.slug, issue.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@require_POST
@issue_member
def assign(request: AuthenticatedHttpRequest, membership: Membership, issue: Issue) -> HttpResponse:
    try:
        assignee = assignment.find_member(issue, request.POST.get("assignee", ""))
    except assignment.AssignmentError as exc:
        messages.error(request, str(exc))
        return _back(issue)
    assignment.assign(issue, assignee, request.user)
    return _back(issue)


@require_POST
@issue_member
def comment_add(
    request: AuthenticatedHttpRequest, membership: Membership, issue: Issue
) -> HttpResponse:
    try:
        comments.add(issue, request.user, request.POST.get("text", ""))
    except comments.CommentError as exc:
        messages.error(request, str(exc))
    return _back(issue, "comments")


def _own_comment(request: AuthenticatedHttpRequest, issue: Issue, comment_id: int) -> Comment:
    comment = Comment.objects.filter(issue=issue, pk=comment_id).first()
    if comment is None:
        raise Http404
    return comment


@require_POST
@issue_member
def comment_edit(
    request: AuthenticatedHttpRequest, membership: Membership, issue: Issue, comment_id: int
) -> HttpResponse:
    comment = _own_comment(request, issue, comment_id)
    try:
        comments.edit(comment, request.user, request.POST.get("text", ""))
    except PermissionError:
        messages.error(request, "You can only edit your own comments.")
    except comments.CommentError as exc:
        messages.error(request, str(exc))
    return _back(issue, "comments")


@require_POST
@issue_member
def comment_delete(
    request: AuthenticatedHttpRequest, membership: Membership, issue: Issue, comment_id: int
) -> HttpResponse:
    comment = _own_comment(request, issue, comment_id)
    try:
        comments.delete(comment, request.user)
    except PermissionError:
        messages.error(request, "You can only delete your own comments.")
    return _back(issue, "comments")


@require_POST
@issue_member
def bookmark(
    request: AuthenticatedHttpRequest, membership: Membership, issue: Issue
) -> HttpResponse:
    flags.set_flag(issue, request.user, "bookmarked", request.POST.get("on") == "1")
    nxt = request.POST.get("next", "")
    if nxt.startswith("/") and not nxt.startswith("//"):  # back to the list it came from
        return redirect(nxt)
    return _back(issue)


@require_POST
@issue_member
def mute(request: AuthenticatedHttpRequest, membership: Membership, issue: Issue) -> HttpResponse:
    flags.set_flag(issue, request.user, "muted", request.POST.get("on") == "1")
    return _back(issue)


@require_http_methods(["GET", "POST"])
@issue_member
def delete(request: AuthenticatedHttpRequest, membership: Membership, issue: Issue) -> HttpResponse:
    """GET asks for confirmation; POST deletes (large issues finish in the background)."""
    if request.method == "GET":
        return render(
            request,
            "issues/delete.html",
            {"project": membership.project, "membership": membership, "issue": issue},
        )
    deletion.delete(issue, request.user)
    messages.success(request, f"Deleted {issue.short_code}.")
    return redirect("issues:list", issue.project.slug)
