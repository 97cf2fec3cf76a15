"""Who may see and change what: the one access check of every UI view, and of the API.

The rule (docs/architecture.md, "Accounts and projects UI"):

- not a member of the project, or the id of another project's object: 404, so that a
  project's existence is not revealed;
- a member who is not a project admin, on an admin page or action: 403 (they know the
  project exists; the 403 says why they may not);
- installation-wide pages and actions (create projects, invite users, failed alerts of all
  projects) need `is_staff` or `is_superuser`: 403 otherwise.

Anonymous visitors never get here: LoginRequiredMiddleware sends them to sign in first.

The decorators turn URL kwargs into checked objects, so that a view cannot skip the check:
`slug` becomes the user's Membership (its project loaded), an object id (`key_id`,
`member_id`, `issue_id`, ...) becomes that project's object. Each view takes exactly one of
them. The API keeps its own JSON answers but uses the same lookups (`api/access.py`).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponse

from core.http import AuthenticatedHttpRequest
from projects.models import Membership, Project, ProjectKey

M = TypeVar("M", bound=Model)
View = Callable[..., HttpResponse]
SignedInView = Callable[Concatenate[AuthenticatedHttpRequest, ...], HttpResponse]
MembershipView = Callable[Concatenate[AuthenticatedHttpRequest, Membership, ...], HttpResponse]
ObjectView = Callable[Concatenate[AuthenticatedHttpRequest, Membership, M, ...], HttpResponse]
Decorator = Callable[[ObjectView[M]], View]

NOT_ADMIN = "Only this project's admins can do this."
NOT_STAFF = "Only administrators can do this."


# The lookups: the only place that says which projects a user may see.


def projects_for(user: User | AnonymousUser) -> QuerySet[Project]:
    """The projects `user` is a member of (any role)."""
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(memberships__user=user)


def membership_for(user: User | AnonymousUser, slug: str) -> Membership:
    """The user's membership of the project `slug`, its project loaded; 404 if there is none."""
    if not user.is_authenticated:  # a view wrongly marked login_not_required reveals nothing
        raise Http404
    query = Membership.objects.select_related("project").filter(user=user, project__slug=slug)
    membership = query.first()
    if membership is None:
        raise Http404
    return membership


def require_admin(membership: Membership) -> None:
    if not membership.is_admin:
        raise PermissionDenied(NOT_ADMIN)


def is_staff(user: User | AnonymousUser) -> bool:
    """May do installation-wide things. Superusers count even without the staff flag."""
    return user.is_staff or user.is_superuser


# The decorators: every signed-in UI view takes one of these, or none if it shows only the
# user's own things (their project list, their settings).


def project_member(view: MembershipView) -> View:
    """`slug` -> the user's Membership of that project; 404 if they are not a member."""

    @wraps(view)
    def wrapper(
        request: AuthenticatedHttpRequest, slug: str, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        return view(request, membership_for(request.user, slug), *args, **kwargs)

    return wrapper


def project_admin(view: MembershipView) -> View:
    """As project_member, and a member who is not an admin of the project gets a 403."""

    @wraps(view)
    def admins_only(
        request: AuthenticatedHttpRequest, membership: Membership, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        require_admin(membership)
        return view(request, membership, *args, **kwargs)

    return project_member(admins_only)


def object_in_project(kwarg: str, objects: Callable[[Project], QuerySet[M]]) -> Decorator[M]:
    """Under project_member/project_admin: the URL kwarg `kwarg` (an id) -> the object of
    `objects(project)` with that id, passed after the membership; 404 if it is another
    project's (or nobody's).

    `objects` should be a related manager of the project (`project.keys.all()`): Django then
    attaches the loaded project to the object, which saves a query wherever it is used.
    """

    def decorator(view: ObjectView[M]) -> View:
        @wraps(view)
        def wrapper(
            request: AuthenticatedHttpRequest, membership: Membership, *args: Any, **kwargs: Any
        ) -> HttpResponse:
            found = objects(membership.project).filter(pk=kwargs.pop(kwarg)).first()
            if found is None:
                raise Http404
            return view(request, membership, found, *args, **kwargs)

        return wrapper

    return decorator


def _keys(project: Project) -> QuerySet[ProjectKey]:
    return project.keys.all()


def _memberships(project: Project) -> QuerySet[Membership]:
    return project.memberships.all()


def key_admin(view: ObjectView[ProjectKey]) -> View:
    """`slug` + `key_id` -> the admin's Membership and that project's ProjectKey."""
    return project_admin(object_in_project("key_id", _keys)(view))


def membership_admin(view: ObjectView[Membership]) -> View:
    """`slug` + `member_id` -> the admin's Membership and the Membership they act on."""
    return project_admin(object_in_project("member_id", _memberships)(view))


def staff_required(view: SignedInView) -> View:
    """Installation-wide pages and actions: 403 unless `is_staff` or `is_superuser`."""

    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_staff(request.user):
            raise PermissionDenied(NOT_STAFF)
        return view(request, *args, **kwargs)

    return wrapper
