"""Project pages: list, create, settings. Who may use which page: tests/test_access.py."""

import pytest
from django.urls import reverse

from projects.models import Membership, Project, Role
from projects.services import add_member, create_project
from tests.conftest import make_user


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("projects:add_key", []),
        ("projects:revoke_key", ["key"]),
        ("projects:member_role", ["membership"]),
        ("projects:member_remove", ["membership"]),
        ("ingest:send_test_event", []),
    ],
)
def test_state_changes_refuse_get(client, owner, project, name, extra):
    args = [project.slug]
    if extra == ["key"]:
        args.append(project.keys.get().pk)
    elif extra == ["membership"]:
        args.append(Membership.objects.get(project=project, user=owner).pk)
    client.force_login(owner)
    assert client.get(reverse(name, args=args)).status_code == 405


def test_project_list_shows_only_my_projects_with_my_role(client, member, project):
    create_project("Secret Payroll")
    client.force_login(member)
    response = client.get(reverse("issues:project_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Backend" in body and "Member" in body
    assert "Secret Payroll" not in body
    # Plain members see no admin links for the project.
    assert reverse("projects:settings", args=[project.slug]) not in body


def test_project_list_escapes_project_names(client, owner):
    create_project('<img src=x onerror="alert(1)">', admins=[owner])
    client.force_login(owner)
    body = client.get(reverse("issues:project_list")).content.decode()
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in body


def test_project_list_query_count_does_not_grow_with_projects(
    client, owner, django_assert_num_queries
):
    create_project("One", admins=[owner])
    client.force_login(owner)
    client.get(reverse("issues:project_list"))  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("issues:project_list"))
    for i in range(6):
        create_project(f"More {i}", admins=[owner])
    with django_assert_num_queries(len(one)):
        response = client.get(reverse("issues:project_list"))
    assert response.content.decode().count("/setup/") >= 7


def test_staff_create_a_project_become_its_admin_and_land_on_setup(client, db):
    admin = make_user("boss", is_staff=True)
    client.force_login(admin)
    response = client.post(reverse("projects:create"), {"name": "Mobile App"})
    project = Project.objects.get(name="Mobile App")
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:setup", args=[project.slug])
    assert Membership.objects.get(project=project, user=admin).role == Role.ADMIN
    assert project.keys.filter(is_active=True).count() == 1


def test_non_staff_users_cannot_create_projects(client, owner):
    client.force_login(owner)
    assert client.get(reverse("projects:create")).status_code == 403
    assert client.post(reverse("projects:create"), {"name": "Mine"}).status_code == 403
    assert not Project.objects.filter(name="Mine").exists()


def test_create_requires_a_name(client, db):
    client.force_login(make_user("boss", is_superuser=True))
    response = client.post(reverse("projects:create"), {"name": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Project.objects.exists()


def test_admin_changes_name_rate_limit_retention_and_alert_toggles(client, owner, project):
    client.force_login(owner)
    response = client.post(
        reverse("projects:settings", args=[project.slug]),
        {
            "name": "Backend API",
            "rate_limit_per_minute": "120",
            "retention_max_events": "500",
            "retention_max_days": "",
            "alert_on_new_issue": "on",
            "alert_on_regression": "",
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.name == "Backend API"
    assert project.slug == "backend"  # URLs stay stable across renames
    assert project.rate_limit_per_minute == 120
    assert project.retention_max_events == 500
    assert project.retention_max_days is None
    assert (project.alert_on_new_issue, project.alert_on_regression) == (True, False)
    assert project.alert_on_unignore is False


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_settings_reject_nonsense_limits(client, owner, project, value):
    client.force_login(owner)
    response = client.post(
        reverse("projects:settings", args=[project.slug]),
        {"name": "Backend", "rate_limit_per_minute": value},
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    project.refresh_from_db()
    assert project.rate_limit_per_minute is None


def test_members_cannot_change_settings(client, member, project):
    client.force_login(member)
    url = reverse("projects:settings", args=[project.slug])
    assert client.post(url, {"name": "Hacked"}).status_code == 403
    project.refresh_from_db()
    assert project.name == "Backend"


def test_outsiders_cannot_change_settings(client, outsider, project):
    client.force_login(outsider)
    url = reverse("projects:settings", args=[project.slug])
    assert client.post(url, {"name": "Hacked"}).status_code == 404
    project.refresh_from_db()
    assert project.name == "Backend"


def test_settings_show_the_send_test_email_button(client, owner, project):
    client.force_login(owner)
    body = client.get(reverse("projects:settings", args=[project.slug])).content.decode()
    assert f'action="{reverse("alerts:send_test_email", args=[project.slug])}"' in body


def test_settings_forms_post_with_csrf_tokens(owner, project):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    url = reverse("projects:settings", args=[project.slug])
    assert strict.post(url, {"name": "No token"}).status_code == 403
    body = strict.get(url).content.decode()
    assert 'name="csrfmiddlewaretoken"' in body


def test_another_projects_admin_is_still_an_outsider_here(client, project):
    other_admin = make_user("other")
    create_project("Other", admins=[other_admin])
    add_member(create_project("Third"), other_admin, Role.MEMBER)
    client.force_login(other_admin)
    assert client.get(reverse("projects:settings", args=[project.slug])).status_code == 404
