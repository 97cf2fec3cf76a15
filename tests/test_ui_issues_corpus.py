"""Every corpus payload renders on the issue page and in the list without an error."""

import uuid

import pytest
from django.urls import reverse

from digest.batch import digest_batch
from events.models import Event
from tests.digest_factories import intake
from tests.issue_factories import corpus_files, load_corpus, make_event, make_issue, shape

pytestmark = pytest.mark.django_db


def test_every_corpus_event_renders_on_issue_page_list_and_download(client, owner, project):
    files = corpus_files()
    assert len(files) > 100
    client.force_login(owner)
    failures, seen = [], set()
    for path in files:
        payload = shape(load_corpus(path))
        if payload["event_id"] in seen:  # some samples share an id; the digest would drop them
            payload["event_id"] = uuid.uuid4().hex
        seen.add(payload["event_id"])
        issue = make_issue(project, title=f"corpus {path.name}")
        event = make_event(issue, payload)
        page = client.get(reverse("issues:detail", args=[project.slug, issue.pk]))
        raw = client.get(
            reverse("issues:event_json", args=[project.slug, issue.pk, event.event_id])
        )
        if page.status_code != 200 or event.event_id not in page.content.decode():
            failures.append(f"{path}: issue page {page.status_code}")
        if raw.status_code != 200:
            failures.append(f"{path}: raw JSON {raw.status_code}")
    assert (
        client.get(reverse("issues:list", args=[project.slug]), {"tab": "all"}).status_code == 200
    )
    assert not failures, failures


def test_every_digested_corpus_event_renders(client, owner, project):
    """The real path: intake rows digested into issues, then every issue page and event."""
    for path in corpus_files():
        intake(project, path.read_bytes())
    while digest_batch(50):
        pass
    events = list(Event.objects.filter(project=project).select_related("issue"))
    assert len(events) > 100
    client.force_login(owner)
    failures = []
    for event in events:
        page = client.get(
            reverse("issues:detail", args=[project.slug, event.issue_id]),
            {"event": event.event_id},
        )
        if page.status_code != 200 or event.event_id not in page.content.decode():
            failures.append(f"{event.event_id}: issue page {page.status_code}")
    for tab in ["all", "unresolved"]:
        listing = client.get(reverse("issues:list", args=[project.slug]), {"tab": tab})
        assert listing.status_code == 200
    assert not failures, failures
