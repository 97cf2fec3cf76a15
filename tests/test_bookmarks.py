"""Bookmarks (the list's star, is:bookmarked) and muting an issue's notifications for yourself."""

import pytest
from django.urls import reverse

from alerts.models import AlertDelivery
from alerts.sender import send_due_alerts
from issues.models import IssueUserFlags
from tests.alert_factories import new_issue_with_alert
from tests.api_factories import auth, token_for
from tests.issue_factories import make_issue
from tests.test_ui_issues import login

pytestmark = pytest.mark.django_db

LIST = "/api/0/projects/bugtrack/backend/issues/"


@pytest.mark.parametrize("who,status", [("owner", 302), ("member", 302), ("outsider", 404)])
@pytest.mark.parametrize("flag", ["bookmark", "mute"])
def test_members_bookmark_and_mute_an_issue_for_themselves(
    client, request, project, who, status, flag
):
    issue = make_issue(project)
    user = request.getfixturevalue(who)
    login(client, user)
    response = client.post(reverse(f"issues:{flag}", args=[project.slug, issue.pk]), {"on": "1"})
    assert response.status_code == status
    field = {"bookmark": "bookmarked", "mute": "muted"}[flag]
    assert IssueUserFlags.objects.filter(issue=issue, user=user, **{field: True}).exists() == (
        status == 302
    )


@pytest.mark.parametrize("flag", ["bookmark", "mute"])
def test_anonymous_visitors_cannot_bookmark_or_mute(client, project, flag):
    issue = make_issue(project)
    response = client.post(reverse(f"issues:{flag}", args=[project.slug, issue.pk]), {"on": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not IssueUserFlags.objects.exists()


def test_the_list_stars_my_bookmarks_and_is_bookmarked_finds_them(client, project, owner, member):
    starred = make_issue(project, title="starred")
    make_issue(project, title="plain")
    IssueUserFlags.objects.create(issue=starred, user=owner, bookmarked=True)
    login(client, owner)
    url = reverse("issues:list", args=[project.slug])
    page = client.get(url).content.decode()
    assert f'aria-label="Remove bookmark from {starred.short_code}"' in page
    found = client.get(url, {"query": "is:bookmarked"}).context["listing"].page.object_list
    assert [i.title for i in found] == ["starred"]
    api = client.get(LIST, {"query": "is:bookmarked"}, headers=auth(token_for(owner))).json()
    assert [r["title"] for r in api] == ["starred"] and api[0]["isBookmarked"] is True
    theirs = client.get(LIST, {"query": "bookmarks:me"}, headers=auth(token_for(member))).json()
    assert theirs == []  # bookmarks are per user


def test_the_star_on_the_list_returns_to_the_same_list(client, project, owner):
    issue = make_issue(project)
    login(client, owner)
    back = reverse("issues:list", args=[project.slug]) + "?sort=events"
    response = client.post(
        reverse("issues:bookmark", args=[project.slug, issue.pk]), {"on": "1", "next": back}
    )
    assert response["Location"] == back
    evil = client.post(
        reverse("issues:bookmark", args=[project.slug, issue.pk]),
        {"on": "0", "next": "//evil.example/"},
    )
    assert evil["Location"] == reverse("issues:detail", args=[project.slug, issue.pk])


def test_a_muted_issue_sends_me_no_alert_but_others_still_get_it(
    project, owner, member, smtp_server
):
    issue, _alert = new_issue_with_alert(project, title="ValueError: noisy")
    IssueUserFlags.objects.create(issue=issue, user=owner, muted=True)
    send_due_alerts()
    assert [m["To"] for m in smtp_server.messages] == ["member@example.com"]
    assert not AlertDelivery.objects.filter(user=owner).exists()


def test_the_api_bookmarks_with_is_bookmarked(client, project, owner):
    issue = make_issue(project)
    response = client.put(
        f"/api/0/issues/{issue.pk}/",
        {"isBookmarked": True},
        content_type="application/json",
        headers=auth(token_for(owner)),
    )
    assert response.status_code == 200 and response.json()["isBookmarked"] is True
