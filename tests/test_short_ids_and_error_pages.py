"""Issues by short id (`…/issues/SHOP-2/`), and the styled 404, 403 and 500 pages."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import escape
from django.views.defaults import server_error

from projects.access import NOT_ADMIN
from projects.services import create_project
from tests.issue_factories import make_issue

pytestmark = pytest.mark.django_db


def short_url(project, code: str) -> str:
    return reverse("issues:short_id", args=[project.slug, code])


def test_a_short_id_redirects_to_the_issue_page_keeping_the_query(client, owner, project):
    issue = make_issue(project, short_id=2)
    client.force_login(owner)
    response = client.get(short_url(project, issue.short_code), {"event": "a" * 32})
    assert response.status_code == 302
    assert response["Location"] == f"{issue.get_absolute_url()}?event={'a' * 32}"
    assert client.get(short_url(project, issue.short_code.lower()))["Location"] == (
        issue.get_absolute_url()
    )


@pytest.mark.parametrize("code", ["BACKEND-99", "OTHER-1", "BACKEND-x", "backend"])
def test_an_unknown_or_foreign_short_id_is_a_styled_404(client, owner, project, code):
    make_issue(project, short_id=1)
    other = create_project("Other", admins=[owner])
    make_issue(other, short_id=1)
    client.force_login(owner)
    response = client.get(short_url(project, code))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_an_unknown_page_gets_the_styled_404(client, owner):
    client.force_login(owner)
    response = client.get("/no/such/page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert 'class="card error-page"' in body and "Page not found" in body
    assert "/static/css/app" in body and "<style" not in body
    assert "owner" in body  # the usual top bar, signed in


def test_a_member_on_an_admin_page_gets_the_styled_403_saying_why(client, member, project):
    client.force_login(member)
    response = client.get(reverse("projects:settings", args=[project.slug]))
    body = response.content.decode()
    assert response.status_code == 403
    assert 'class="card error-page"' in body and "Not allowed" in body
    assert escape(NOT_ADMIN) in body


def test_a_server_error_gets_the_styled_500_without_a_request_context():
    response = server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in body and "/static/css/app" in body
