"""Adding people to a project tells them, and the form never reveals who has an account."""

import pytest
from django.urls import reverse

from accounts.models import Invitation
from projects.models import Membership
from tests.conftest import make_user
from tests.test_accounts_email import text_of

pytestmark = pytest.mark.django_db


def add_url(project) -> str:
    return reverse("accounts:add_member", args=[project.slug])


def test_adding_an_existing_user_emails_them(client, owner, outsider, project, smtp_server):
    client.force_login(owner)
    client.post(add_url(project), {"email": "outsider@example.com", "role": "member"})
    assert Membership.objects.filter(project=project, user=outsider).exists()
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "outsider@example.com"
    assert project.name in message["Subject"]
    assert reverse("issues:list", args=[project.slug]) in text_of(message)


def test_a_project_admin_who_is_not_staff_cannot_add_by_username(client, owner, outsider, project):
    client.force_login(owner)
    client.post(add_url(project), {"email": "outsider", "role": "member"}, follow=True)
    assert not Membership.objects.filter(project=project, user=outsider).exists()


def test_an_unknown_address_gets_an_invitation_to_the_project(client, owner, project, smtp_server):
    client.force_login(owner)
    client.post(add_url(project), {"email": "newcomer@example.com", "role": "member"})
    invitation = Invitation.objects.get(email="newcomer@example.com")
    assert list(invitation.projects.all()) == [project]
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "newcomer@example.com"


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    client, owner, project, smtp_server
):
    make_user("known")
    client.force_login(owner)
    answers = []
    for email in ("known@example.com", "unknown@example.com"):
        response = client.post(add_url(project), {"email": email, "role": "member"}, follow=True)
        page = response.content.decode().replace(email, "EMAIL")
        answers.append((response.status_code, page.split("<main")[1].split("<table")[0]))
    assert answers[0] == answers[1]


def test_the_members_form_asks_a_non_staff_admin_for_an_email_only(client, owner, project):
    client.force_login(owner)
    body = client.get(reverse("projects:members", args=[project.slug])).content.decode()
    assert 'type="email"' in body and "Username or email" not in body


def test_staff_may_still_add_an_existing_user_by_username(client, outsider, project, smtp_server):
    staff = make_user("chief", is_staff=True)
    from projects.models import Role
    from projects.services import add_member

    add_member(project, staff, Role.ADMIN)
    client.force_login(staff)
    client.post(add_url(project), {"email": "outsider", "role": "member"})
    assert Membership.objects.filter(project=project, user=outsider).exists()
