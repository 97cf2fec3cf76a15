"""Issue pages' access check: projects.access's rule, with the issue id checked as well."""

from functools import wraps
from typing import Any

from django.http import Http404, HttpResponse, HttpResponseRedirect

from core.http import AuthenticatedHttpRequest
from issues.models import Issue, IssueRedirect
from projects.access import ObjectView, View, project_member
from projects.models import Membership


def issue_member(view: ObjectView[Issue]) -> View:
    """`slug` + `issue_id` -> the member's Membership and that project's Issue (its project
    attached); 404 if the user is not a member or the issue belongs to another project.
    The id of an issue merged into another redirects (GET) to the same page of that one."""

    @wraps(view)
    def wrapper(
        request: AuthenticatedHttpRequest, membership: Membership, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        issue_id = kwargs.pop("issue_id")
        project = membership.project
        found = project.issues.select_related("assigned_to").filter(pk=issue_id).first()
        if found is not None:
            return view(request, membership, found, *args, **kwargs)
        moved = IssueRedirect.objects.filter(project=project, old_id=issue_id).first()
        if moved is None or request.method != "GET":
            raise Http404
        path = request.path.replace(f"/issues/{issue_id}/", f"/issues/{moved.issue_id}/", 1)
        query = request.META.get("QUERY_STRING", "")
        return HttpResponseRedirect(f"{path}?{query}" if query else path)

    return project_member(wrapper)
