"""Every payload (fixtures, and the shared corpus when present) renders on the issue page, in
the list and as raw JSON without an error, whether stored as sent or as the digest stores it."""

import uuid
from typing import Any

import orjson
import pytest
from django.urls import reverse

from digest.batch import digest_batch
from events.models import Event
from tests.digest_factories import intake
from tests.issue_factories import make_event, make_issue, shape
from tests.payloads import Payload, accepted_payloads, all_payloads, fixture_payloads

pytestmark = pytest.mark.django_db


def as_sent(payload: Payload) -> Any:
    """The JSON as ingest queues and the digest reads it (lone surrogates repaired, huge
    integers as floats), or as the file has it for the ones ingest refuses; None when it is
    not JSON at all."""
    body = payload.queued()
    try:
        return orjson.loads(body) if body is not None else payload.load()
    except ValueError:
        return None


def test_every_payload_renders_on_issue_page_list_and_download(client, owner, project):
    """Payloads stored only lightly shaped: odder than the digest's output, on purpose."""
    payloads = [(p, data) for p in all_payloads() if (data := as_sent(p)) is not None]
    assert len(payloads) >= len(fixture_payloads()) - 1  # only broken/not-json.json is no JSON
    client.force_login(owner)
    failures, seen = [], set()
    for p, data in payloads:
        payload = shape(data)
        if payload["event_id"] in seen:  # some samples share an id; the digest would drop them
            payload["event_id"] = uuid.uuid4().hex
        seen.add(payload["event_id"])
        issue = make_issue(project, title=f"payload {p}")
        event = make_event(issue, payload)
        page = client.get(reverse("issues:detail", args=[project.slug, issue.pk]))
        raw = client.get(
            reverse("issues:event_json", args=[project.slug, issue.pk, event.event_id])
        )
        html = page.content.decode()
        if page.status_code != 200 or event.event_id not in html:
            failures.append(f"{p}: issue page {page.status_code}")
        if "<script>alert(" in html or "<svg onload" in html:
            failures.append(f"{p}: unescaped markup on the issue page")
        if raw.status_code != 200:
            failures.append(f"{p}: raw JSON {raw.status_code}")
    assert (
        client.get(reverse("issues:list", args=[project.slug]), {"tab": "all"}).status_code == 200
    )
    assert not failures, failures


def test_every_digested_payload_renders(client, owner, project):
    """The real path: intake rows digested into issues, then every issue page and event."""
    payloads = accepted_payloads()
    for p in payloads:
        intake(project, p.queued())
    while digest_batch(50):
        pass
    events = list(Event.objects.filter(project=project).select_related("issue"))
    assert len(events) == len(payloads)
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
        assert "<script>alert(" not in listing.content.decode()
    assert not failures, failures
