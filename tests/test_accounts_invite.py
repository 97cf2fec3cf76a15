"""Invitations: staff invite by email; the link sets a username and password, once."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, hash_token
from projects.models import Membership, Role
from projects.services import create_project
from tests.conftest import make_user

LINK = re.compile(r"https?://\S+/accounts/invite/([A-Za-z0-9_-]+)/")


@pytest.fixture
def staff(db):
    return make_user("staffer", is_staff=True)


def invite(client, email: str = "new@example.com", projects=()) -> str:
    """Invite through the page; returns the token from the emailed link."""
    response = client.post(
        reverse("accounts:invite"), {"email": email, "projects": [p.pk for p in projects]}
    )
    assert response.status_code == 302, response.content
    return LINK.search(mail.outbox[-1].body)[1]


def accept_url(token: str) -> str:
    return reverse("accounts:invite_accept", args=[token])


def test_staff_invite_by_email_and_the_link_points_at_base_url(client, staff, settings):
    settings.BASE_URL = "https://bugs.example.com"
    client.force_login(staff)
    token = invite(client)
    message = mail.outbox[-1]
    assert message.to == ["new@example.com"]
    assert f"https://bugs.example.com/accounts/invite/{token}/" in message.body
    html = message.alternatives[0][0]
    assert f'href="https://bugs.example.com/accounts/invite/{token}/"' in html
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash
    assert invitation.invited_by == staff
    assert invitation.expires_at > timezone.now() + timedelta(days=6)


def test_non_staff_users_cannot_invite(client, owner):
    client.force_login(owner)
    assert client.get(reverse("accounts:invite")).status_code == 403
    assert client.post(reverse("accounts:invite"), {"email": "x@example.com"}).status_code == 403
    assert not Invitation.objects.exists() and not mail.outbox


def test_inviting_an_existing_email_is_refused(client, staff, owner):
    client.force_login(staff)
    response = client.post(reverse("accounts:invite"), {"email": "OWNER@example.com"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert not Invitation.objects.exists()


def test_accepting_sets_username_and_password_signs_in_and_joins_projects(client, staff):
    project = create_project("Backend", admins=[staff])
    client.force_login(staff)
    token = invite(client, projects=[project])
    client.logout()

    page = client.get(accept_url(token))
    assert page.status_code == 200 and "new@example.com" in page.content.decode()
    response = client.post(
        accept_url(token),
        {"username": "newbie", "password1": "Corr3ct-horse", "password2": "Corr3ct-horse"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("issues:project_list")
    user = get_user_model().objects.get(username="newbie")
    assert user.email == "new@example.com" and user.check_password("Corr3ct-horse")
    assert not user.is_staff
    assert Membership.objects.get(user=user, project=project).role == Role.MEMBER
    assert client.get(reverse("issues:project_list")).status_code == 200  # signed in
    assert Invitation.objects.get().accepted_by == user


def test_an_invitation_link_works_only_once(client, staff):
    client.force_login(staff)
    token = invite(client)
    client.logout()
    form = {"username": "first", "password1": "Corr3ct-horse", "password2": "Corr3ct-horse"}
    client.post(accept_url(token), form)
    client.logout()
    again = client.post(accept_url(token), {**form, "username": "second"})
    assert again.status_code == 404
    assert not get_user_model().objects.filter(username="second").exists()


def test_an_expired_invitation_is_refused(client, staff):
    client.force_login(staff)
    token = invite(client)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.logout()
    assert client.get(accept_url(token)).status_code == 404


def test_accepting_validates_the_password_and_a_taken_username(client, staff, owner):
    client.force_login(staff)
    token = invite(client)
    client.logout()
    weak = client.post(accept_url(token), {"username": "x", "password1": "1", "password2": "1"})
    assert weak.status_code == 200 and "too short" in weak.content.decode()
    taken = client.post(
        accept_url(token),
        {"username": "OWNER", "password1": "Corr3ct-horse", "password2": "Corr3ct-horse"},
    )
    assert taken.status_code == 200 and "already exists" in taken.content.decode()
    assert Invitation.objects.pending().count() == 1


def test_staff_only_offer_projects_they_administer(client, staff):
    mine = create_project("Mine", admins=[staff])
    theirs = create_project("Theirs", admins=[make_user("someone")])
    client.force_login(staff)
    body = client.get(reverse("accounts:invite")).content.decode()
    assert "Mine" in body and "Theirs" not in body
    response = client.post(
        reverse("accounts:invite"), {"email": "n@example.com", "projects": [mine.pk, theirs.pk]}
    )
    assert response.status_code == 200  # a project outside the choices is a form error
    assert not Invitation.objects.exists()


def test_staff_withdraw_a_pending_invitation(client, staff):
    client.force_login(staff)
    token = invite(client)
    invitation = Invitation.objects.get()
    response = client.post(reverse("accounts:revoke_invitation", args=[invitation.pk]))
    assert response.status_code == 302
    assert not Invitation.objects.exists()
    client.logout()
    assert client.get(accept_url(token)).status_code == 404


def test_non_staff_cannot_withdraw_invitations(client, staff, owner):
    invitation, _ = Invitation.issue("n@example.com", staff)
    client.force_login(owner)
    url = reverse("accounts:revoke_invitation", args=[invitation.pk])
    assert client.post(url).status_code == 403
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_when_the_mail_server_is_down_the_admin_gets_the_link(client, staff, settings):
    from tests.live import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    settings.EMAIL_TIMEOUT = 2
    client.force_login(staff)
    response = client.post(reverse("accounts:invite"), {"email": "n@example.com"}, follow=True)
    warnings = [str(m) for m in response.context["messages"]]
    assert len(warnings) == 1 and "could not be sent" in warnings[0]
    token = LINK.search(warnings[0])[1]
    assert Invitation.find_pending(token) is not None


def test_pending_invitations_page_query_count_is_flat(client, staff):
    client.force_login(staff)
    Invitation.issue("a@example.com", staff)
    client.get(reverse("accounts:invite"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("accounts:invite"))
    for i in range(7):
        Invitation.issue(f"p{i}@example.com", staff)
    with CaptureQueriesContext(connection) as many:
        body = client.get(reverse("accounts:invite")).content.decode()
    assert body.count("Withdraw") == 8
    assert len(many) == len(one)


def test_invited_emails_are_escaped_on_the_invite_page(client, staff):
    Invitation.issue('"<script>"@example.com', staff)
    client.force_login(staff)
    body = client.get(reverse("accounts:invite")).content.decode()
    assert "<script>" not in body


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_acceptances_create_one_account():
    import threading

    from django.db import connection as conn
    from django.db import transaction

    from accounts.invitations import accept

    invitation, _ = Invitation.issue("twice@example.com", None)
    holding, release = threading.Event(), threading.Event()
    outcome: list[str] = []

    def accept_and_hold() -> None:
        try:
            with transaction.atomic():
                accept(invitation, make_user("first", email="twice@example.com"))
                holding.set()
                release.wait(10)
            outcome.append("accepted")
        finally:
            conn.close()

    def accept_second() -> None:
        holding.wait(10)
        try:
            with transaction.atomic():
                accept(invitation, make_user("second", email="twice@example.com"))
            outcome.append("accepted")
        except ValueError:
            outcome.append("refused")
        finally:
            conn.close()

    threads = [threading.Thread(target=accept_and_hold), threading.Thread(target=accept_second)]
    for thread in threads:
        thread.start()
    holding.wait(10)
    threads[1].join(0.5)  # the second acceptance now waits for the first one's lock
    release.set()
    for thread in threads:
        thread.join(30)
    assert sorted(outcome) == ["accepted", "refused"]
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["first"]
