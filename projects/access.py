"""Fetch objects only through the user's memberships; anything else is a 404."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from projects.models import Membership, Project, Role


def projects_for(user: AbstractBaseUser) -> QuerySet[Project]:
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(memberships__user=user)


def membership_for(user: AbstractBaseUser, slug: str, admin: bool = False) -> Membership:
    """The user's membership of the project `slug`; 404 if none (or not admin when required)."""
    if not user.is_authenticated:
        raise Http404
    qs = Membership.objects.select_related("project").filter(user=user, project__slug=slug)
    if admin:
        qs = qs.filter(role=Role.ADMIN)
    membership = qs.first()
    if membership is None:
        raise Http404
    return membership


def get_project_for(user: AbstractBaseUser, slug: str, admin: bool = False) -> Project:
    return membership_for(user, slug, admin=admin).project
