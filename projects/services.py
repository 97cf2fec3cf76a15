"""Creating projects and memberships: shared by the CLI, the UI and tests."""

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction

from projects.models import Membership, Project, ProjectKey, Role, UserSettings


@transaction.atomic
def create_project(name: str, admins: Iterable[User] = ()) -> Project:
    project = Project.objects.create(name=name, slug=Project.unique_slug(name))
    ProjectKey.objects.create(project=project)
    for user in admins:
        add_member(project, user, Role.ADMIN)
    return project


def add_member(project: Project, user: User, role: str = Role.MEMBER) -> Membership:
    prefs = UserSettings.objects.filter(user=user).first()
    send_alerts = prefs.alerts_for_new_projects if prefs else True
    membership, created = Membership.objects.get_or_create(
        project=project, user=user, defaults={"role": role, "send_alerts": send_alerts}
    )
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership
