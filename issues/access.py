"""Issue pages' access check: projects.access's rule, with the issue id checked as well."""

from django.db.models import QuerySet

from issues.models import Issue
from projects.access import ObjectView, View, object_in_project, project_member
from projects.models import Project


def _issues(project: Project) -> QuerySet[Issue]:
    return project.issues.all()


def issue_member(view: ObjectView[Issue]) -> View:
    """`slug` + `issue_id` -> the member's Membership and that project's Issue (its project
    attached); 404 if the user is not a member or the issue belongs to another project."""
    return project_member(object_in_project("issue_id", _issues)(view))
