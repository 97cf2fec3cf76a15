"""Access-checking decorators: turn the URL's slug into an already-checked membership.

Not a member: 404 (the project's existence is not revealed). A member who is not an admin,
on an admin page: 403 (they know the project exists; they may not change it).
"""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from projects.access import membership_for

View = Callable[..., HttpResponse]


def project_member(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
        return view(request, membership_for(request.user, slug), *args, **kwargs)

    return wrapper


def project_admin(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
        membership = membership_for(request.user, slug)
        if not membership.is_admin:
            raise PermissionDenied("Only this project's admins can do this.")
        return view(request, membership, *args, **kwargs)

    return wrapper


def require_staff(request: HttpRequest) -> None:
    """Installation-wide actions (creating projects, inviting users) are for staff only."""
    if not (request.user.is_staff or request.user.is_superuser):
        raise PermissionDenied("Only administrators can do this.")
