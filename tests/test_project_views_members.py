"""Members page: add by email, change role, remove; a project keeps an admin."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.members import LastAdminError, change_role, remove_member
from projects.models import Membership, Role, UserSettings
from projects.services import create_project
from tests.conftest import make_user


def members_url(project) -> str:
    return reverse("projects:members", args=[project.slug])


def membership(project, user) -> Membership:
    return Membership.objects.get(project=project, user=user)


def test_members_page_lists_everyone_with_their_role(client, owner, member, project):
    client.force_login(owner)
    body = client.get(members_url(project)).content.decode()
    assert "owner@example.com" in body and "member@example.com" in body
    assert body.count('<option value="admin" selected>') == 1


def add_url(project) -> str:
    return reverse("accounts:add_member", args=[project.slug])


def test_admin_adds_an_existing_user_by_email(client, owner, outsider, project):
    client.force_login(owner)
    response = client.post(add_url(project), {"email": "OUTSIDER@example.com", "role": "member"})
    assert response.status_code == 302
    assert membership(project, outsider).role == Role.MEMBER


def test_added_member_starts_with_their_alert_default(client, owner, outsider, project):
    UserSettings.objects.create(user=outsider, alerts_for_new_projects=False)
    client.force_login(owner)
    client.post(add_url(project), {"email": "outsider@example.com", "role": "admin"})
    added = membership(project, outsider)
    assert added.role == Role.ADMIN and added.send_alerts is False


def test_staff_adding_an_unknown_username_are_told_to_enter_an_email(client, project):
    staff = make_user("chief", is_staff=True)
    from projects.services import add_member

    add_member(project, staff, Role.ADMIN)
    client.force_login(staff)
    response = client.post(add_url(project), {"email": "ghost", "role": "member"}, follow=True)
    assert "enter an email address to invite them" in response.content.decode()


def test_adding_someone_twice_changes_nothing(client, owner, member, project):
    client.force_login(owner)
    client.post(add_url(project), {"email": "member@example.com", "role": "admin"})
    assert membership(project, member).role == Role.MEMBER


def test_a_bogus_role_is_refused(client, owner, outsider, project):
    client.force_login(owner)
    response = client.post(add_url(project), {"email": "outsider@example.com", "role": "god"})
    assert response.status_code == 302
    assert not Membership.objects.filter(user=outsider).exists()


def test_admin_promotes_and_demotes(client, owner, member, project):
    client.force_login(owner)
    target = membership(project, member)
    url = reverse("projects:member_role", args=[project.slug, target.pk])
    client.post(url, {"role": "admin"})
    assert membership(project, member).role == Role.ADMIN
    client.post(url, {"role": "member"})
    assert membership(project, member).role == Role.MEMBER


def test_the_last_admin_cannot_demote_themselves(client, owner, project):
    client.force_login(owner)
    mine = membership(project, owner)
    url = reverse("projects:member_role", args=[project.slug, mine.pk])
    response = client.post(url, {"role": "member"}, follow=True)
    assert membership(project, owner).role == Role.ADMIN
    assert any("at least one admin" in str(m) for m in response.context["messages"])


def test_the_last_admin_cannot_be_removed(client, owner, project):
    client.force_login(owner)
    mine = membership(project, owner)
    client.post(reverse("projects:member_remove", args=[project.slug, mine.pk]))
    assert Membership.objects.filter(pk=mine.pk).exists()


def test_an_admin_may_leave_when_another_admin_remains(client, owner, member, project):
    change_role(membership(project, member), Role.ADMIN)
    client.force_login(owner)
    mine = membership(project, owner)
    response = client.post(reverse("projects:member_remove", args=[project.slug, mine.pk]))
    assert response["Location"] == reverse("issues:project_list")
    assert not Membership.objects.filter(pk=mine.pk).exists()
    assert client.get(members_url(project)).status_code == 404


def test_admin_removes_a_member(client, owner, member, project):
    client.force_login(owner)
    target = membership(project, member)
    response = client.post(reverse("projects:member_remove", args=[project.slug, target.pk]))
    assert response["Location"] == members_url(project)
    assert not Membership.objects.filter(pk=target.pk).exists()


def test_members_cannot_manage_members(client, owner, member, outsider, project):
    client.force_login(member)
    owners = membership(project, owner)
    added = client.post(add_url(project), {"email": "outsider@example.com", "role": "member"})
    assert added.status_code == 403
    role_url = reverse("projects:member_role", args=[project.slug, owners.pk])
    assert client.post(role_url, {"role": "member"}).status_code == 403
    remove_url = reverse("projects:member_remove", args=[project.slug, owners.pk])
    assert client.post(remove_url).status_code == 403
    assert membership(project, owner).role == Role.ADMIN
    assert not Membership.objects.filter(user=outsider).exists()


def test_outsiders_get_404_on_member_actions(client, owner, outsider, project):
    client.force_login(outsider)
    owners = membership(project, owner)
    assert client.post(add_url(project), {"email": "outsider@example.com"}).status_code == 404
    remove_url = reverse("projects:member_remove", args=[project.slug, owners.pk])
    assert client.post(remove_url).status_code == 404
    assert Membership.objects.filter(pk=owners.pk).exists()


def test_a_membership_of_another_project_is_a_404(client, owner, project):
    stranger = make_user("stranger")
    other = create_project("Other", admins=[stranger])
    foreign = membership(other, stranger)
    client.force_login(owner)
    assert (
        client.post(reverse("projects:member_remove", args=[project.slug, foreign.pk])).status_code
        == 404
    )
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_usernames_and_emails_are_escaped(client, owner, project):
    from projects.services import add_member

    evil = make_user('"><script>alert(1)</script>', email="x@example.com")
    add_member(project, evil)
    client.force_login(owner)
    body = client.get(members_url(project)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_members_page_query_count_does_not_grow_with_members(client, owner, project):
    from projects.services import add_member

    client.force_login(owner)
    client.get(members_url(project))
    with CaptureQueriesContext(connection) as few:
        client.get(members_url(project))
    for i in range(8):
        add_member(project, make_user(f"user{i}"))
    with CaptureQueriesContext(connection) as many:
        body = client.get(members_url(project)).content.decode()
    assert body.count("@example.com") == 10
    assert len(many) == len(few)


def test_remove_member_refuses_to_leave_no_admin(project, owner):
    with pytest.raises(LastAdminError):
        remove_member(membership(project, owner))
    with pytest.raises(LastAdminError):
        change_role(membership(project, owner), Role.MEMBER)


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin():
    import threading

    from django.db import connection as conn
    from django.db import transaction

    from projects.services import add_member

    project = create_project("Race")
    first_admin = add_member(project, make_user("ann"), Role.ADMIN)
    second_admin = add_member(project, make_user("bob"), Role.ADMIN)
    holding, release = threading.Event(), threading.Event()
    outcome: list[str] = []

    def demote_first_and_hold() -> None:
        try:
            with transaction.atomic():
                change_role(Membership.objects.get(pk=first_admin.pk), Role.MEMBER)
                holding.set()
                release.wait(10)
        finally:
            conn.close()

    def demote_second() -> None:
        holding.wait(10)
        try:
            change_role(Membership.objects.get(pk=second_admin.pk), Role.MEMBER)
            outcome.append("demoted")
        except LastAdminError:
            outcome.append("refused")
        finally:
            conn.close()

    threads = [
        threading.Thread(target=demote_first_and_hold),
        threading.Thread(target=demote_second),
    ]
    for thread in threads:
        thread.start()
    holding.wait(10)
    threads[1].join(0.5)  # the second demotion is now waiting for the first one's locks
    release.set()
    for thread in threads:
        thread.join(30)
    assert outcome == ["refused"]
    assert Membership.objects.filter(project=project, role=Role.ADMIN).count() == 1
