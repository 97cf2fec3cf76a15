"""Merge and unmerge from the issue list, the issue page's Merged tab and the API."""

import pytest
from django.urls import reverse

from events.models import Event
from issues.models import GroupingHash, Issue
from tests.api_factories import api_call, auth, token_for
from tests.issue_factories import make_event, make_issue
from tests.test_ui_issues import login

pytestmark = pytest.mark.django_db

LIST = "/api/0/projects/bugtrack/backend/issues/"


def two_issues(project) -> tuple[Issue, Issue]:
    big, small = make_issue(project, event_count=5), make_issue(project, event_count=2)
    make_event(big)
    make_event(small)
    return big, small


@pytest.mark.parametrize("who,status", [("owner", 302), ("member", 302), ("outsider", 404)])
def test_members_merge_issues_selected_on_the_list(client, request, project, who, status):
    big, small = two_issues(project)
    login(client, request.getfixturevalue(who))
    response = client.post(
        reverse("issues:bulk", args=[project.slug]),
        {"action": "merge", "issue": [big.pk, small.pk]},
    )
    assert response.status_code == status
    assert Issue.objects.filter(pk=small.pk).exists() == (status == 404)


def test_anonymous_visitors_cannot_merge(client, project):
    big, small = two_issues(project)
    response = client.post(
        reverse("issues:bulk", args=[project.slug]),
        {"action": "merge", "issue": [big.pk, small.pk]},
    )
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Issue.objects.count() == 2


def test_merging_one_issue_says_why_not(client, project, owner):
    big, _ = two_issues(project)
    login(client, owner)
    response = client.post(
        reverse("issues:bulk", args=[project.slug]),
        {"action": "merge", "issue": [big.pk]},
        follow=True,
    )
    assert "Select two or more issues to merge." in response.content.decode()
    assert Issue.objects.count() == 2


def test_a_merged_issues_url_redirects_to_its_parent_and_it_leaves_the_list(client, project, owner):
    big, small = two_issues(project)
    login(client, owner)
    client.post(
        reverse("issues:bulk", args=[project.slug]),
        {"action": "merge", "issue": [big.pk, small.pk]},
    )
    response = client.get(reverse("issues:detail", args=[project.slug, small.pk]) + "?event=x")
    assert response.status_code == 302
    assert (
        response["Location"] == reverse("issues:detail", args=[project.slug, big.pk]) + "?event=x"
    )
    page = client.get(reverse("issues:list", args=[project.slug])).content.decode()
    assert big.short_code in page and small.short_code not in page


@pytest.mark.parametrize("who,status", [("owner", 200), ("member", 200), ("outsider", 404)])
def test_the_merged_tab_lists_the_issues_hashes(client, request, project, who, status):
    big, small = two_issues(project)
    login(client, request.getfixturevalue("owner"))
    client.post(
        reverse("issues:bulk", args=[project.slug]),
        {"action": "merge", "issue": [big.pk, small.pk]},
    )
    client.logout()
    login(client, request.getfixturevalue(who))
    response = client.get(reverse("issues:merged", args=[project.slug, big.pk]))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert big.grouping_hash in page and small.grouping_hash in page


@pytest.mark.parametrize("who,status", [("owner", 302), ("member", 302), ("outsider", 404)])
def test_members_unmerge_a_hash_into_a_new_issue(client, request, project, owner, who, status):
    big, small = two_issues(project)
    login(client, owner)
    client.post(
        reverse("issues:bulk", args=[project.slug]),
        {"action": "merge", "issue": [big.pk, small.pk]},
    )
    client.logout()
    login(client, request.getfixturevalue(who))
    response = client.post(
        reverse("digest:unmerge", args=[project.slug, big.pk]), {"hash": [small.grouping_hash]}
    )
    assert response.status_code == status
    assert Issue.objects.count() == (2 if status == 302 else 1)
    if status == 302:
        new = GroupingHash.objects.get(hash=small.grouping_hash).issue
        assert response["Location"] == reverse("issues:detail", args=[project.slug, new.pk])
        assert Event.objects.filter(issue=new).count() == 1


def test_anonymous_visitors_cannot_unmerge(client, project):
    big, _ = two_issues(project)
    response = client.post(reverse("digest:unmerge", args=[project.slug, big.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- API ------------------------------------------------------------------------------------


def api_put(client, user, url, body):
    return api_call(client, user, "put", url, body)


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_api_merges_with_sentrys_body_and_answer(client, request, project, who):
    big, small = two_issues(project)
    response = api_put(
        client, request.getfixturevalue(who), f"{LIST}?id={big.pk}&id={small.pk}", {"merge": "1"}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"merge": {"parent": str(big.pk), "children": [str(small.pk)]}}
    assert list(Issue.objects.values_list("pk", flat=True)) == [big.pk]


def test_the_api_answers_a_merged_issues_id_with_its_parent(client, project, owner):
    big, small = two_issues(project)
    api_put(client, owner, f"{LIST}?id={big.pk}&id={small.pk}", {"merge": "1"})
    response = client.get(f"/api/0/issues/{small.pk}/", headers=auth(token_for(owner)))
    assert response.status_code == 200
    assert response.json()["id"] == str(big.pk)


def test_the_api_refuses_to_merge_one_issue(client, project, owner):
    big, _ = two_issues(project)
    response = api_put(client, owner, f"{LIST}?id={big.pk}", {"merge": "1"})
    assert response.status_code == 400
    assert response.json() == {"detail": "Select two or more issues to merge."}


def test_outsiders_and_anonymous_clients_get_404_and_401_for_merge(client, project, outsider):
    big, small = two_issues(project)
    url = f"{LIST}?id={big.pk}&id={small.pk}"
    assert api_put(client, outsider, url, {"merge": "1"}).status_code == 404
    anonymous = client.put(url, {"merge": "1"}, content_type="application/json")
    assert anonymous.status_code == 401
    assert Issue.objects.count() == 2
