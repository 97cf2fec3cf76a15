"""The API over what the real digest stores: every payload (fixtures, and the shared corpus
when present), digested, reads back."""

import pytest

from digest.batch import digest_batch
from events.models import Event
from issues.models import Issue
from tests.api_factories import auth, token_for
from tests.digest_factories import intake, python_error
from tests.payloads import accepted_payloads

pytestmark = pytest.mark.django_db


def digest_everything() -> None:
    while digest_batch(50):
        pass


def test_every_digested_payload_reads_back_through_the_api(client, project, owner):
    payloads = accepted_payloads()
    for p in payloads:
        intake(project, p.queued())
    digest_everything()
    token = token_for(owner)
    events = Event.objects.filter(project=project).select_related("issue")
    assert events.count() == len(payloads)
    for event in events:
        url = f"/api/0/projects/bugtrack/backend/events/{event.event_id}/"
        response = client.get(url, headers=auth(token))
        assert response.status_code == 200, (event.event_id, response.content[:300])
        data = response.json()
        assert data["groupID"] == str(event.issue_id)
        assert data["title"] and data["entries"] is not None
        if event.issue.event_count == 1 and not event.processing_error:
            assert data["title"] == event.issue.title  # the digest's title rule, shared
    listed = client.get(
        "/api/0/projects/bugtrack/backend/issues/",
        {"query": "", "limit": "100"},
        headers=auth(token),
    )
    assert len(listed.json()) == min(Issue.objects.filter(project=project).count(), 100)


def test_a_digested_python_error_has_its_frames_and_user_count(client, project, owner):
    for user in ("a", "b", "a"):
        intake(project, python_error(user={"id": user}, environment="prod", release="1.0"))
    digest_everything()
    issue = Issue.objects.get(project=project)
    token = token_for(owner)
    data = client.get(f"/api/0/issues/{issue.pk}/", headers=auth(token)).json()
    assert (data["count"], data["userCount"]) == ("3", 2)
    listed = client.get(
        "/api/0/projects/bugtrack/backend/issues/",
        {"query": "environment:prod release:1.0 user:a"},
        headers=auth(token),
    ).json()
    assert [row["id"] for row in listed] == [str(issue.pk)]
    latest = client.get(f"/api/0/issues/{issue.pk}/events/latest/", headers=auth(token)).json()
    [exception] = [e for e in latest["entries"] if e["type"] == "exception"]
    frames = exception["data"]["values"][0]["stacktrace"]["frames"]
    assert frames and all("lineNo" in f and "inApp" in f for f in frames)
