"""Deleting an issue: confirmation page, API 202, background chunks, the hash coming back."""

import pytest
from django.urls import reverse

from digest.batch import digest_batch
from events.models import Event
from issues import deletion
from issues.models import GroupingHash, Issue
from tests.api_factories import auth, token_for
from tests.digest_factories import intake, python_error
from tests.issue_factories import make_event, make_issue
from tests.test_ui_issues import login

pytestmark = pytest.mark.django_db


def test_the_delete_page_asks_for_confirmation(client, project, owner):
    issue = make_issue(project)
    login(client, owner)
    response = client.get(reverse("issues:delete", args=[project.slug, issue.pk]))
    assert response.status_code == 200
    assert "cannot be undone" in response.content.decode()
    assert Issue.objects.filter(pk=issue.pk).exists()


@pytest.mark.parametrize("who,status", [("owner", 302), ("member", 302), ("outsider", 404)])
def test_members_delete_an_issue_with_its_events(client, request, project, who, status):
    issue = make_issue(project)
    make_event(issue)
    login(client, request.getfixturevalue(who))
    response = client.post(reverse("issues:delete", args=[project.slug, issue.pk]))
    assert response.status_code == status
    assert Issue.all_objects.filter(pk=issue.pk).exists() == (status == 404)
    assert Event.objects.exists() == (status == 404)


def test_anonymous_visitors_cannot_delete(client, project):
    issue = make_issue(project)
    response = client.post(reverse("issues:delete", args=[project.slug, issue.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Issue.objects.filter(pk=issue.pk).exists()


def test_a_large_issue_leaves_at_once_and_its_events_go_in_bounded_chunks(
    project, owner, monkeypatch
):
    monkeypatch.setattr(deletion, "CHUNK", 2)
    issue = make_issue(project)
    for _ in range(9):
        make_event(issue)
    deletion.delete(issue, owner)  # the request's share: 2 chunks of 2
    assert not Issue.objects.filter(pk=issue.pk).exists()  # gone from every page
    assert Event.objects.filter(issue_id=issue.pk).count() == 5
    assert deletion.purge(max_chunks=2) == 2
    assert Event.objects.filter(issue_id=issue.pk).count() == 1
    deletion.purge(max_chunks=2)
    assert not Event.objects.exists()
    assert not Issue.all_objects.filter(pk=issue.pk).exists()


def test_a_deleted_issues_hash_coming_back_makes_a_new_issue(project, owner):
    intake(project, python_error(type_="AError"))
    digest_batch()
    issue = Issue.objects.get()
    deletion.delete(issue, owner)
    assert not GroupingHash.objects.exists()
    intake(project, python_error(type_="AError"))
    digest_batch()
    new = Issue.objects.get()
    assert new.pk != issue.pk and new.event_count == 1
    assert new.short_id == issue.short_id + 1


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_api_deletes_an_issue_with_202(client, request, project, who):
    issue = make_issue(project)
    make_event(issue)
    response = client.delete(
        f"/api/0/issues/{issue.pk}/", headers=auth(token_for(request.getfixturevalue(who)))
    )
    assert response.status_code == 202
    assert not Issue.all_objects.exists() and not Event.objects.exists()
    again = client.get(
        f"/api/0/issues/{issue.pk}/", headers=auth(token_for(request.getfixturevalue(who)))
    )
    assert again.status_code == 404


def test_outsiders_get_404_and_anonymous_clients_401_when_deleting(client, project, outsider):
    issue = make_issue(project)
    url = f"/api/0/issues/{issue.pk}/"
    assert client.delete(url, headers=auth(token_for(outsider))).status_code == 404
    assert client.delete(url).status_code == 401
    assert Issue.objects.filter(pk=issue.pk).exists()
