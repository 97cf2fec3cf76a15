"""Assigning issues: the issue page, the list's bulk action, the API, search, email, history."""

import pytest
from django.urls import reverse

from issues.models import HistoryKind, Issue, IssueHistory, IssueUserFlags
from projects.models import UserSettings
from tests.api_factories import api_call as api
from tests.issue_factories import make_issue
from tests.test_ui_issues import login

pytestmark = pytest.mark.django_db

LIST = "/api/0/projects/bugtrack/backend/issues/"


@pytest.mark.parametrize("who,status", [("owner", 302), ("member", 302), ("outsider", 404)])
def test_members_assign_an_issue_from_its_page(client, request, project, member, who, status):
    issue = make_issue(project)
    login(client, request.getfixturevalue(who))
    response = client.post(
        reverse("issues:assign", args=[project.slug, issue.pk]), {"assignee": "member"}
    )
    assert response.status_code == status
    issue.refresh_from_db()
    assert (issue.assigned_to == member) == (status == 302)


def test_anonymous_visitors_are_sent_to_sign_in_to_assign(client, project):
    issue = make_issue(project)
    response = client.post(
        reverse("issues:assign", args=[project.slug, issue.pk]), {"assignee": "owner"}
    )
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    issue.refresh_from_db()
    assert issue.assigned_to is None


def test_a_non_member_cannot_be_assigned_and_the_page_says_so(client, project, owner, outsider):
    issue = make_issue(project)
    login(client, owner)
    response = client.post(
        reverse("issues:assign", args=[project.slug, issue.pk]),
        {"assignee": "outsider"},
        follow=True,
    )
    assert "outsider is not a member of this project." in response.content.decode()
    issue.refresh_from_db()
    assert issue.assigned_to is None


def test_the_issue_page_shows_the_picker_and_history_says_who_assigned_whom(
    client, project, owner, member
):
    issue = make_issue(project)
    login(client, owner)
    client.post(reverse("issues:assign", args=[project.slug, issue.pk]), {"assignee": "member"})
    page = client.get(reverse("issues:detail", args=[project.slug, issue.pk])).content.decode()
    assert '<option value="member" selected>' in page
    entry = IssueHistory.objects.get(issue=issue, kind=HistoryKind.ASSIGNED)
    assert entry.user == owner and entry.data == {"assignee": "member"}
    assert "Assigned</span>" in page and "to</span> member" in page
    client.post(reverse("issues:assign", args=[project.slug, issue.pk]), {"assignee": ""})
    issue.refresh_from_db()
    assert issue.assigned_to is None
    assert IssueHistory.objects.filter(issue=issue, kind=HistoryKind.UNASSIGNED).count() == 1


def test_the_list_assigns_the_selected_issues_in_bulk(client, project, owner, member):
    issues = [make_issue(project) for _ in range(3)]
    login(client, owner)
    client.post(
        reverse("issues:bulk", args=[project.slug]),
        {"action": "assign", "assignee": "member", "issue": [i.pk for i in issues[:2]]},
    )
    assigned = Issue.objects.filter(assigned_to=member).values_list("pk", flat=True)
    assert sorted(assigned) == sorted(i.pk for i in issues[:2])


def test_the_assignee_gets_an_email_unless_they_opted_out(
    client, project, owner, member, smtp_server, django_capture_on_commit_callbacks
):
    issue = make_issue(project, title="KeyError: cart")
    login(client, owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("issues:assign", args=[project.slug, issue.pk]), {"assignee": "member"})
    assert [m["To"] for m in smtp_server.messages] == ["member@example.com"]
    message = smtp_server.messages[0]
    assert message["Subject"] == f"owner assigned {issue.short_code} to you: KeyError: cart"
    assert (
        f"/projects/{project.slug}/issues/{issue.pk}/" in message.get_body(("plain",)).get_content()
    )
    UserSettings.objects.create(user=member, email_when_assigned=False)
    other = make_issue(project)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("issues:assign", args=[project.slug, other.pk]), {"assignee": "member"})
    assert len(smtp_server.messages) == 1


def test_assigning_yourself_or_a_muted_issue_sends_no_email(
    client, project, owner, member, smtp_server, django_capture_on_commit_callbacks
):
    mine, muted = make_issue(project), make_issue(project)
    IssueUserFlags.objects.create(issue=muted, user=member, muted=True)
    login(client, owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("issues:assign", args=[project.slug, mine.pk]), {"assignee": "owner"})
        client.post(reverse("issues:assign", args=[project.slug, muted.pk]), {"assignee": "member"})
    assert smtp_server.messages == []


def test_the_settings_page_turns_assignment_emails_off(client, owner):
    login(client, owner)
    page = client.get(reverse("accounts:settings")).content.decode()
    assert "email_when_assigned" in page


# --- API ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_api_assigns_by_username_or_email_and_answers_sentrys_object(
    client, request, project, member, who
):
    issue = make_issue(project)
    user = request.getfixturevalue(who)
    response = api(client, user, "put", f"/api/0/issues/{issue.pk}/", {"assignedTo": "member"})
    assert response.status_code == 200, response.content
    assert response.json()["assignedTo"] == {
        "type": "user",
        "id": str(member.pk),
        "name": "member",
        "username": "member",
        "email": "member@example.com",
    }
    response = api(
        client, user, "put", f"/api/0/issues/{issue.pk}/", {"assignedTo": "OWNER@example.com"}
    )
    assert response.json()["assignedTo"]["username"] == "owner"
    listed = api(client, user, "get", LIST).json()
    assert listed[0]["assignedTo"]["username"] == "owner"


def test_the_api_unassigns_with_an_empty_string(client, project, owner, member):
    issue = make_issue(project, assigned_to=member)
    response = api(client, owner, "put", f"/api/0/issues/{issue.pk}/", {"assignedTo": ""})
    assert response.status_code == 200
    assert response.json()["assignedTo"] is None


def test_the_api_refuses_a_non_member_with_400(client, project, owner, outsider):
    issue = make_issue(project)
    response = api(client, owner, "put", f"/api/0/issues/{issue.pk}/", {"assignedTo": "outsider"})
    assert response.status_code == 400
    assert response.json() == {"detail": "outsider is not a member of this project."}


def test_outsiders_get_404_and_anonymous_clients_401_when_assigning(client, project, outsider):
    issue = make_issue(project)
    url = f"/api/0/issues/{issue.pk}/"
    assert api(client, outsider, "put", url, {"assignedTo": "owner"}).status_code == 404
    response = client.put(url, {"assignedTo": "owner"}, content_type="application/json")
    assert response.status_code == 401


def test_the_api_changes_status_and_assignee_together(client, project, owner):
    issue = make_issue(project)
    response = api(
        client, owner, "put", f"/api/0/issues/{issue.pk}/",
        {"status": "resolved", "assignedTo": "owner"},
    )  # fmt: skip
    assert response.json()["status"] == "resolved"
    assert response.json()["assignedTo"]["username"] == "owner"


# --- search ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query,expected",
    [
        ("assigned:me", ["mine"]),
        ("assigned:member", ["theirs"]),
        ("assigned:member@example.com", ["theirs"]),
        ("is:assigned", ["mine", "theirs"]),
        ("is:unassigned", ["nobody's"]),
        ("!is:assigned", ["nobody's"]),
    ],
)
def test_assignment_searches_work_in_the_ui_and_the_api(
    client, project, owner, member, query, expected
):
    make_issue(project, title="mine", assigned_to=owner)
    make_issue(project, title="theirs", assigned_to=member)
    make_issue(project, title="nobody's")
    response = api(client, owner, "get", LIST + "?" + f"query={query}")
    assert sorted(r["title"] for r in response.json()) == expected
    login(client, owner)
    page = client.get(reverse("issues:list", args=[project.slug]), {"query": query})
    rows = [i.title for i in page.context["listing"].page.object_list]
    assert sorted(rows) == expected
