"""Sign in and out, password change, which account pages are public, and the user's settings."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Membership, UserSettings
from projects.services import add_member, create_project
from tests.conftest import make_user


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_sign_in_page_is_public(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()


def test_signing_in_with_the_right_password_follows_next(client, owner):
    response = client.post(
        reverse("login"), {"username": "owner", "password": "pw-owner", "next": "/projects/"}
    )
    assert response.status_code == 302 and response["Location"] == "/projects/"
    assert is_signed_in(client)


def test_a_wrong_password_keeps_you_out(client, owner):
    response = client.post(reverse("login"), {"username": "owner", "password": "nope"})
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()
    assert not is_signed_in(client)


def test_sign_in_refuses_an_offsite_next(client, owner):
    response = client.post(
        reverse("login"),
        {"username": "owner", "password": "pw-owner", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_signed_in_users_skip_the_sign_in_page(client, owner):
    client.force_login(owner)
    assert client.get(reverse("login")).status_code == 302


def test_sign_out_is_a_post(client, owner):
    client.force_login(owner)
    assert client.get(reverse("logout")).status_code == 405
    assert is_signed_in(client)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not is_signed_in(client)


@pytest.mark.parametrize(
    "name", ["accounts:settings", "accounts:invite", "password_change", "password_change_done"]
)
def test_private_account_pages_send_anonymous_visitors_to_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse(name)}"


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/login/",
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/done/",
        "/accounts/reset/MQ/set-password/",
    ],
)
def test_public_account_pages_need_no_sign_in(client, db, url):
    assert client.get(url).status_code == 200


def test_an_unknown_invitation_link_is_a_404_not_a_sign_in_redirect(client, db):
    response = client.get(reverse("accounts:invite_accept", args=["not-a-token"]))
    assert response.status_code == 404
    assert "Invitation not valid" in response.content.decode()


def test_password_change_needs_the_old_password(client, owner):
    client.force_login(owner)
    url = reverse("password_change")
    bad = client.post(
        url,
        {"old_password": "wrong", "new_password1": "s3cret-Pass!", "new_password2": "s3cret-Pass!"},
    )
    assert bad.status_code == 200
    good = client.post(
        url,
        {
            "old_password": "pw-owner",
            "new_password1": "s3cret-Pass!",
            "new_password2": "s3cret-Pass!",
        },
    )
    assert good["Location"] == reverse("password_change_done")
    owner.refresh_from_db()
    assert owner.check_password("s3cret-Pass!")
    assert is_signed_in(client)  # the session survives its own password change


def settings_post(memberships: dict, **overrides) -> dict:
    data = {
        "profile-first_name": "Ada",
        "profile-last_name": "Lovelace",
        "profile-email": "ada@example.com",
        "profile-password": "pw-owner",  # a new email needs the current password
        "defaults-alerts_for_new_projects": "on",
    }
    for project_id, on in memberships.items():
        if on:
            data[f"alerts-project_{project_id}"] = "on"
    data.update(overrides)
    return data


def test_settings_save_name_email_and_alert_preferences(client, owner, member, project):
    other = create_project("Frontend", admins=[owner])
    client.force_login(owner)
    data = settings_post({project.pk: False, other.pk: True})
    del data["defaults-alerts_for_new_projects"]
    response = client.post(reverse("accounts:settings"), data)
    assert response.status_code == 302
    owner.refresh_from_db()
    assert (owner.first_name, owner.last_name, owner.email) == (
        "Ada",
        "Lovelace",
        "ada@example.com",
    )
    assert UserSettings.objects.get(user=owner).alerts_for_new_projects is False
    assert Membership.objects.get(user=owner, project=project).send_alerts is False
    assert Membership.objects.get(user=owner, project=other).send_alerts is True
    # Nobody else's preferences moved.
    assert Membership.objects.get(user=member, project=project).send_alerts is True


def test_the_alert_default_applies_to_projects_joined_later(client, owner):
    client.force_login(owner)
    data = settings_post({})
    del data["defaults-alerts_for_new_projects"]
    client.post(reverse("accounts:settings"), data)
    project = create_project("Later")
    assert add_member(project, owner).send_alerts is False


def test_settings_refuse_an_email_another_account_uses(client, owner, member):
    client.force_login(owner)
    response = client.post(
        reverse("accounts:settings"), settings_post({}, **{"profile-email": "MEMBER@example.com"})
    )
    assert response.status_code == 200
    assert "already uses this email" in response.content.decode()
    owner.refresh_from_db()
    assert owner.email == "owner@example.com"


def test_settings_only_list_my_projects(client, member, project):
    create_project("Hidden")
    client.force_login(member)
    body = client.get(reverse("accounts:settings")).content.decode()
    assert "Backend" in body and "Hidden" not in body


def test_settings_ignore_fields_for_projects_i_am_not_in(client, member, project):
    hidden = create_project("Hidden", admins=[make_user("boss")])
    client.force_login(member)
    data = settings_post({project.pk: True}, **{f"alerts-project_{hidden.pk}": ""})
    client.post(reverse("accounts:settings"), data)
    assert Membership.objects.get(project=hidden).send_alerts is True


def test_settings_escape_names(client, owner):
    create_project("<b>bold</b>", admins=[owner])
    owner.first_name = '"><img src=x>'
    owner.save()
    client.force_login(owner)
    body = client.get(reverse("accounts:settings")).content.decode()
    assert "<b>bold</b>" not in body and "<img src=x>" not in body


def test_settings_query_count_does_not_grow_with_projects(client, owner):
    create_project("P0", admins=[owner])
    client.force_login(owner)
    client.get(reverse("accounts:settings"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("accounts:settings"))
    for i in range(1, 8):
        create_project(f"P{i}", admins=[owner])
    with CaptureQueriesContext(connection) as many:
        body = client.get(reverse("accounts:settings")).content.decode()
    assert body.count('name="alerts-project_') == 8
    assert len(many) == len(one)


def test_saving_settings_costs_the_same_queries_for_many_projects(client, owner):
    projects = [create_project(f"P{i}", admins=[owner]) for i in range(2)]
    owner.email = "ada@example.com"  # both posts keep it: an email change costs its own check
    owner.save(update_fields=["email"])
    client.force_login(owner)
    url = reverse("accounts:settings")
    client.get(url)
    with CaptureQueriesContext(connection) as two:
        client.post(url, settings_post({p.pk: False for p in projects}))
    projects += [create_project(f"Q{i}", admins=[owner]) for i in range(6)]
    with CaptureQueriesContext(connection) as eight:
        client.post(url, settings_post({p.pk: True for p in projects}))
    assert len(eight) == len(two)
    assert not Membership.objects.filter(user=owner, send_alerts=False).exists()


def test_viewing_settings_writes_nothing(client, owner):
    client.force_login(owner)
    assert client.get(reverse("accounts:settings")).status_code == 200
    assert not UserSettings.objects.filter(user=owner).exists()
