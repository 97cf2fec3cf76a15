"""Comments: the thread on the issue page, the API's notes, and emails to subscribers."""

import pytest
from django.urls import reverse

from issues.models import Comment
from tests.api_factories import api_call as api
from tests.issue_factories import make_issue
from tests.test_ui_issues import login

pytestmark = pytest.mark.django_db


def post_comment(client, project, issue, text):
    return client.post(reverse("issues:comment_add", args=[project.slug, issue.pk]), {"text": text})


@pytest.mark.parametrize("who,status", [("owner", 302), ("member", 302), ("outsider", 404)])
def test_members_comment_on_an_issue(client, request, project, who, status):
    issue = make_issue(project)
    login(client, request.getfixturevalue(who))
    assert post_comment(client, project, issue, "Looking at it").status_code == status
    assert Comment.objects.filter(issue=issue).exists() == (status == 302)


def test_anonymous_visitors_are_sent_to_sign_in_to_comment(client, project):
    issue = make_issue(project)
    response = post_comment(client, project, issue, "hi")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Comment.objects.exists()


def test_comments_are_escaped_with_links_made_clickable(client, project, owner):
    issue = make_issue(project)
    login(client, owner)
    post_comment(client, project, issue, "<script>x()</script> see https://example.com/a?b=1")
    page = client.get(reverse("issues:detail", args=[project.slug, issue.pk])).content.decode()
    assert "<script>x()</script>" not in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page
    assert (
        '<a href="https://example.com/a?b=1" rel="nofollow">https://example.com/a?b=1</a>' in page
    )


def test_an_empty_comment_is_refused(client, project, owner):
    issue = make_issue(project)
    login(client, owner)
    response = post_comment(client, project, issue, "   ")
    assert response.status_code == 302
    assert not Comment.objects.exists()


def test_authors_edit_and_delete_their_own_comments_only(client, project, owner, member):
    issue = make_issue(project)
    login(client, owner)
    post_comment(client, project, issue, "first")
    comment = Comment.objects.get()
    edit = reverse("issues:comment_edit", args=[project.slug, issue.pk, comment.pk])
    delete = reverse("issues:comment_delete", args=[project.slug, issue.pk, comment.pk])
    client.logout()
    login(client, member)
    client.post(edit, {"text": "hijacked"})
    client.post(delete)
    comment.refresh_from_db()
    assert comment.text == "first"
    client.logout()
    login(client, owner)
    client.post(edit, {"text": "second"})
    comment.refresh_from_db()
    assert comment.text == "second" and comment.edited_at is not None
    client.post(delete)
    assert not Comment.objects.exists()


def test_a_comment_of_another_issue_is_a_404(client, project, owner):
    issue, other = make_issue(project), make_issue(project)
    login(client, owner)
    post_comment(client, project, other, "elsewhere")
    comment = Comment.objects.get()
    url = reverse("issues:comment_delete", args=[project.slug, issue.pk, comment.pk])
    assert client.post(url).status_code == 404


def test_the_assignee_and_commenters_are_emailed_a_new_comment(
    client, project, owner, member, smtp_server, django_capture_on_commit_callbacks
):
    from projects.services import add_member
    from tests.conftest import make_user

    third = make_user("third")
    add_member(project, third)
    issue = make_issue(project, title="KeyError: cart", assigned_to=member)
    login(client, third)
    with django_capture_on_commit_callbacks(execute=True):
        post_comment(client, project, issue, "I saw this too")
    assert [m["To"] for m in smtp_server.messages] == ["member@example.com"]
    client.logout()
    login(client, owner)
    with django_capture_on_commit_callbacks(execute=True):
        post_comment(client, project, issue, "Fixed in 2.0 <b>really</b>")
    to = sorted(m["To"] for m in smtp_server.messages[1:])
    assert to == ["member@example.com", "third@example.com"]  # not the author
    last = smtp_server.messages[-1]
    assert last["Subject"] == f"owner commented on {issue.short_code}: KeyError: cart"
    assert "Fixed in 2.0 <b>really</b>" in last.get_body(("plain",)).get_content()
    assert "&lt;b&gt;really&lt;/b&gt;" in last.get_body(("html",)).get_content()


# --- API ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_api_adds_and_lists_comments_as_sentry_notes(client, request, project, who):
    issue = make_issue(project)
    user = request.getfixturevalue(who)
    url = f"/api/0/issues/{issue.pk}/comments/"
    response = api(client, user, "post", url, {"text": "on it"})
    assert response.status_code == 201, response.content
    note = response.json()
    assert note["type"] == "note" and note["data"] == {"text": "on it"}
    assert note["user"]["username"] == user.username
    listed = api(client, user, "get", url).json()
    assert [n["data"]["text"] for n in listed] == ["on it"]
    detail = api(client, user, "get", f"/api/0/issues/{issue.pk}/").json()
    assert detail["numComments"] == 1


def test_the_api_edits_and_deletes_only_the_authors_comments(client, project, owner, member):
    issue = make_issue(project)
    note = api(client, owner, "post", f"/api/0/issues/{issue.pk}/comments/", {"text": "a"}).json()
    url = f"/api/0/issues/{issue.pk}/comments/{note['id']}/"
    assert api(client, member, "put", url, {"text": "b"}).status_code == 403
    assert api(client, member, "delete", url).status_code == 403
    response = api(client, owner, "put", url, {"text": "b"})
    assert response.status_code == 200 and response.json()["data"] == {"text": "b"}
    assert api(client, owner, "delete", url).status_code == 204
    assert not Comment.objects.exists()


def test_the_api_refuses_a_comment_without_text(client, project, owner):
    issue = make_issue(project)
    response = api(client, owner, "post", f"/api/0/issues/{issue.pk}/comments/", {"body": "x"})
    assert response.status_code == 400
    assert response.json() == {"detail": "text is required."}


def test_outsiders_get_404_and_anonymous_clients_401_for_comments(client, project, outsider):
    issue = make_issue(project)
    url = f"/api/0/issues/{issue.pk}/comments/"
    assert api(client, outsider, "post", url, {"text": "x"}).status_code == 404
    assert api(client, outsider, "get", url).status_code == 404
    assert client.post(url, {"text": "x"}, content_type="application/json").status_code == 401
    assert not Comment.objects.exists()


def test_the_issue_page_query_count_does_not_grow_with_comments_and_members(client, project, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from issues import comments
    from projects.services import add_member
    from tests.conftest import make_user

    issue = make_issue(project, assigned_to=owner)
    comments.add(issue, owner, "one")
    login(client, owner)
    url = reverse("issues:detail", args=[project.slug, issue.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for i in range(15):
        user = make_user(f"m{i}")
        add_member(project, user)
        comments.add(issue, user, f"comment {i} https://example.com/{i}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(one)


def test_the_list_query_count_does_not_grow_with_assigned_and_bookmarked_issues(
    client, project, owner, member
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from issues.models import IssueUserFlags

    make_issue(project, assigned_to=member)
    login(client, owner)
    url = reverse("issues:list", args=[project.slug])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for i in range(20):
        issue = make_issue(project, assigned_to=owner if i % 2 else member)
        IssueUserFlags.objects.create(issue=issue, user=owner, bookmarked=True)
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).content.decode()
    assert body.count("★") >= 20 and body.count("@owner") == 10
    assert len(many) == len(one)
