"""Who may use which page: every URL of the UI, taken from the URL resolver itself.

Every URL name must have a rule in ACCESS or be listed in PUBLIC, so a view added later
fails here until someone decides who may use it; the tests then check that the view
enforces that rule (docs/architecture.md, "Accounts and projects UI"):

- SIGNED_IN: any signed-in user;
- MEMBER: project members; anyone else, and another project's object ids, get a 404;
- ADMIN: as MEMBER, and a member who is not a project admin gets a 403;
- STAFF: installation-wide, `is_staff` or `is_superuser`; other signed-in users get a 403.
- OWN: an object of the signed-in user's own (`token_id`, the owner's); others get a 404.

Anonymous visitors are sent to sign in everywhere except PUBLIC.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.invitations import invite
from alerts.models import Channel
from api.models import ApiToken
from issues import comments
from projects.models import Membership, Project
from projects.services import create_project
from tests.conftest import make_user
from tests.issue_factories import make_event, make_issue

pytestmark = pytest.mark.django_db

SIGNED_IN, MEMBER, ADMIN, STAFF = "signed in", "member", "admin", "staff"
OWN = "own"  # the signed-in user's own object (an API token): anyone else's id is a 404

ACCESS = {
    "issues:all": SIGNED_IN,
    "issues:project_list": SIGNED_IN,
    "issues:suggest_all": SIGNED_IN,
    "accounts:settings": SIGNED_IN,
    "tokens:list": SIGNED_IN,
    "tokens:create": SIGNED_IN,
    "tokens:revoke": OWN,
    "password_change": SIGNED_IN,
    "password_change_done": SIGNED_IN,
    "projects:setup": MEMBER,
    "ingest:send_test_event": MEMBER,
    "alerts:project_alerts": MEMBER,
    "alerts:channel_log": MEMBER,
    "issues:list": MEMBER,
    "issues:first_event": MEMBER,
    "issues:bulk": MEMBER,
    "issues:suggest": MEMBER,
    "issues:releases": MEMBER,
    "issues:detail": MEMBER,
    "issues:events": MEMBER,
    "issues:short_id": MEMBER,
    "issues:resolve": MEMBER,
    "issues:resolve_next_release": MEMBER,
    "issues:ignore": MEMBER,
    "issues:unresolve": MEMBER,
    "issues:event_json": MEMBER,
    "issues:merged": MEMBER,
    "issues:assign": MEMBER,
    "issues:comment_add": MEMBER,
    "issues:comment_edit": MEMBER,
    "issues:comment_delete": MEMBER,
    "issues:bookmark": MEMBER,
    "issues:mute": MEMBER,
    "issues:delete": MEMBER,
    "digest:unmerge": MEMBER,
    "projects:settings": ADMIN,
    "projects:keys": ADMIN,
    "projects:add_key": ADMIN,
    "projects:revoke_key": ADMIN,
    "projects:members": ADMIN,
    "projects:member_role": ADMIN,
    "projects:member_remove": ADMIN,
    "accounts:add_member": ADMIN,
    "alerts:send_test_email": ADMIN,
    "alerts:channel_add": ADMIN,
    "alerts:channel_edit": ADMIN,
    "alerts:channel_disable": ADMIN,
    "alerts:channel_enable": ADMIN,
    "alerts:channel_test": ADMIN,
    "alerts:channel_delete": ADMIN,
    "alerts:rule_add": ADMIN,
    "alerts:rule_edit": ADMIN,
    "alerts:rule_delete": ADMIN,
    "projects:create": STAFF,
    "accounts:invite": STAFF,
    "accounts:revoke_invitation": STAFF,
    "alerts:failed": STAFF,
}

# No sign-in: each has tests of its own (test_accounts*.py, test_health.py, test_metrics.py).
PUBLIC = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "accounts:invite_accept",
    "accounts:sso_start",
    "accounts:sso_callback",
    "ops:live",
    "ops:ready",
    "ops:metrics",
}
# Bearer-token authenticated, never the session (api/auth.py; tests/test_api_auth.py).
PUBLIC_NAMESPACES = ("api:",)

# URL kwargs that name an object inside the project of the URL's slug.
PROJECT_OBJECTS = (
    "issue_id", "key_id", "member_id", "event_id", "channel_id", "rule_id", "short_code",
    "comment_id",
)  # fmt: skip


Route = tuple[str, tuple[str, ...]]  # full URL name, its kwarg names


def _routes(patterns: list, prefix: str = "", kwargs: tuple[str, ...] = ()) -> Iterator[Route]:
    """(full name, kwarg names) of every URL pattern, through includes and namespaces."""
    for entry in patterns:
        names = kwargs + _kwarg_names(entry)
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _routes(entry.url_patterns, namespace, names)
        else:
            yield f"{prefix}{entry.name or f'<unnamed {entry.pattern}>'}", names


def _kwarg_names(entry: URLPattern | URLResolver) -> tuple[str, ...]:
    pattern = entry.pattern
    if hasattr(pattern, "converters"):  # path()
        return tuple(pattern.converters)
    return tuple(pattern.regex.groupindex)  # re_path()


ROUTES: dict[str, tuple[str, ...]] = dict(_routes(get_resolver().url_patterns))
PRIVATE = sorted(n for n in ROUTES if n not in PUBLIC and not n.startswith(PUBLIC_NAMESPACES))


def _names(*kinds: str) -> list[str]:
    return [name for name in PRIVATE if ACCESS.get(name) in kinds]


@dataclass
class World:
    """`project` (admin `owner`, plain `member`), and `other`, which `owner` also administers.

    `values` fills every URL kwarg with an object of `project`; `foreign` has the same kwargs
    pointing at objects of `other`.
    """

    owner: User
    member: User
    outsider: User
    staff: User
    superuser: User
    values: dict[str, Any]
    foreign: dict[str, Any]

    def url(self, name: str, **override: Any) -> str:
        values = {**self.values, **override}
        return reverse(name, kwargs={k: values[k] for k in ROUTES[name]})


def _project_objects(project: Project, owner: User) -> dict[str, Any]:
    issue = make_issue(project)
    return {
        "slug": project.slug,
        "issue_id": issue.pk,
        "short_code": issue.short_code,
        "event_id": make_event(issue).event_id,
        "comment_id": comments.add(issue, owner, "a comment").pk,
        "key_id": project.keys.get().pk,
        "member_id": Membership.objects.filter(project=project).exclude(user=owner).first().pk,
        "channel_id": Channel.objects.create(project=project, kind="slack", url="https://x/").pk,
        "rule_id": project.alert_rules.get().pk,
    }


@pytest.fixture
def world(project: Project, owner: User, member: User, outsider: User) -> World:
    other = create_project("Other", admins=[owner, make_user("other-admin")])
    staff = make_user("staff", is_staff=True)
    invitation, link = invite("new@example.com", staff)
    values = {
        **_project_objects(project, owner),
        "invitation_id": invitation.pk,
        "token": link.rstrip("/").rsplit("/", 1)[1],
        "uidb64": "MQ",
        "org_slug": settings.ORGANIZATION_SLUG,
        "project_slug": project.slug,
        "rest": "nothing/",
        "token_id": ApiToken.issue(owner, label="owner's")[0].pk,
    }
    foreign = _project_objects(other, owner)
    superuser = make_user("root", is_superuser=True)
    return World(owner, member, outsider, staff, superuser, values, foreign)


def _call(client: Client, url: str) -> HttpResponse:
    """GET, or POST for the actions that refuse GET (405), so every view runs its check."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    return response


def _as(user: User, url: str) -> HttpResponse:
    client = Client()
    client.force_login(user)
    return _call(client, url)


def _assert_let_in(response: HttpResponse, name: str) -> None:
    assert response.status_code not in (403, 404, 405), f"{name}: {response.status_code}"
    assert not response.get("Location", "").startswith(reverse("login")), name


def test_every_url_has_an_access_rule():
    missing = [name for name in PRIVATE if name not in ACCESS]
    assert not missing, f"add these URL names to ACCESS (or PUBLIC): {missing}"
    stale = sorted(set(ACCESS) - set(PRIVATE)) + sorted(PUBLIC - set(ROUTES))
    assert not stale, f"no such URL names any more: {stale}"


@pytest.mark.parametrize("name", PRIVATE)
def test_anonymous_visitors_are_sent_to_sign_in(client, world, name):
    response = client.get(world.url(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_pages_need_no_sign_in(client, world, name):
    response = client.get(world.url(name))
    assert not response.get("Location", "").startswith(reverse("login"))


@pytest.mark.parametrize("name", _names(SIGNED_IN, MEMBER, ADMIN, OWN))
def test_project_admins_are_let_in(world, name):
    _assert_let_in(_as(world.owner, world.url(name)), name)


@pytest.mark.parametrize("name", _names(SIGNED_IN, MEMBER, ADMIN))
def test_plain_members_are_let_in_except_on_admin_pages(world, name):
    response = _as(world.member, world.url(name))
    if ACCESS[name] == ADMIN:
        assert response.status_code == 403
    else:
        _assert_let_in(response, name)


@pytest.mark.parametrize("name", _names(MEMBER, ADMIN))
def test_outsiders_get_404_as_if_the_project_did_not_exist(world, name):
    assert _as(world.outsider, world.url(name)).status_code == 404
    assert _as(world.outsider, world.url(name, slug="no-such-project")).status_code == 404


@pytest.mark.parametrize("name", _names(OWN))
def test_another_users_own_objects_are_404(world, name):
    assert _as(world.member, world.url(name)).status_code == 404
    assert _as(world.staff, world.url(name)).status_code == 404


@pytest.mark.parametrize("name", _names(SIGNED_IN))
def test_pages_of_no_project_let_any_signed_in_user_in(world, name):
    _assert_let_in(_as(world.outsider, world.url(name)), name)


@pytest.mark.parametrize(
    ("name", "kwarg"),
    [(n, k) for n in _names(MEMBER, ADMIN) for k in ROUTES[n] if k in PROJECT_OBJECTS],
)
def test_another_projects_object_ids_are_404(world, name, kwarg):
    """The owner administers both projects: only the object check can refuse."""
    url = world.url(name, **{kwarg: world.foreign[kwarg]})
    assert _as(world.owner, url).status_code == 404


@pytest.mark.parametrize("who", ["staff", "superuser"])
@pytest.mark.parametrize("name", _names(STAFF))
def test_installation_wide_pages_are_for_staff_and_superusers(world, name, who):
    _assert_let_in(_as(getattr(world, who), world.url(name)), name)


@pytest.mark.parametrize("name", _names(STAFF))
def test_other_signed_in_users_get_403_on_installation_wide_pages(world, name):
    assert _as(world.owner, world.url(name)).status_code == 403
