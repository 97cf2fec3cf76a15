"""Alert pages' access checks: projects.access's rule, with channel and rule ids checked."""

from django.db.models import QuerySet

from alerts.models import AlertRule, Channel
from projects.access import ObjectView, View, object_in_project, project_admin, project_member
from projects.models import Project


def _channels(project: Project) -> QuerySet[Channel]:
    return project.alert_channels.all()


def _rules(project: Project) -> QuerySet[AlertRule]:
    return project.alert_rules.all()


def channel_member(view: ObjectView[Channel]) -> View:
    """`slug` + `channel_id` -> the member's Membership and that project's Channel."""
    return project_member(object_in_project("channel_id", _channels)(view))


def channel_admin(view: ObjectView[Channel]) -> View:
    return project_admin(object_in_project("channel_id", _channels)(view))


def rule_admin(view: ObjectView[AlertRule]) -> View:
    return project_admin(object_in_project("rule_id", _rules)(view))
