"""Deep JSON: ingest accepts up to 1,024 levels; the digest trims past its limit, in the batch."""

import logging

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from digest.batch import digest_batch
from events import payload
from events.models import Event
from tests.api_factories import auth, token_for
from tests.digest_factories import intake, python_error

pytestmark = pytest.mark.django_db

MAX_DEPTH = 16  # levels from the event's root, as docs/architecture.md ("Digest") states
MARKER = "[trimmed: nested too deep]"


def nested(levels: int, leaf: object = "bottom") -> object:
    """`levels` dicts inside each other around `leaf`."""
    value = leaf
    for n in range(levels):
        value = {f"level{levels - n}": value}
    return value


def deepest(value: object) -> tuple[int, object]:
    """(containers on the deepest path, what sits at its end)."""
    if isinstance(value, dict | list) and value:
        children = value.values() if isinstance(value, dict) else value
        depth, leaf = max((deepest(child) for child in children), key=lambda found: found[0])
        return depth + 1, leaf
    return 0, value


def batch_queries(project, extra_events: list[dict]) -> int:
    for n in range(20):
        intake(project, python_error(value=f"ordinary {n}"))
    for event in extra_events:
        intake(project, event)
    with CaptureQueriesContext(connection) as queries:
        digest_batch()
    return len(queries)


def test_a_300_deep_extra_is_trimmed_and_digested_within_its_batch(project, caplog):
    batch_queries(project, [])  # warm the per-process caches (payload dictionaries, keys)
    plain = batch_queries(project, [python_error(value="shallow", extra={"a": "b"})])
    Event.objects.all().delete()
    with caplog.at_level(logging.INFO):
        deep = batch_queries(project, [python_error(value="deep", extra=nested(300))])

    assert deep == plain  # no fall-back to one savepoint per event
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert Event.objects.count() == 21
    assert not Event.objects.exclude(processing_error="").exists()
    stored = [payload.decode(e.payload) for e in Event.objects.all()]
    deep_one = [e for e in stored if e["exception"]["values"][0]["value"] == "deep"]
    assert deepest(deep_one[0]) == (MAX_DEPTH, MARKER)


@pytest.mark.parametrize(
    "where",
    [
        lambda v: {"contexts": {"app": v}},
        lambda v: {"breadcrumbs": {"values": [{"message": "m", "data": v}]}},
        lambda v: {"user": {"id": "1", "data": v}},
        lambda v: {"request": {"data": v}},
    ],
    ids=["contexts", "breadcrumb-data", "user", "request"],
)
def test_every_part_of_an_event_is_trimmed_at_the_same_depth(project, where):
    intake(project, python_error(**where(nested(400))))
    digest_batch()
    assert deepest(payload.decode(Event.objects.get().payload)) == (MAX_DEPTH, MARKER)


def test_an_event_exactly_at_the_limit_is_kept_whole(project):
    intake(project, python_error(extra=nested(MAX_DEPTH - 1)))  # the event's root is one more
    digest_batch()
    assert deepest(payload.decode(Event.objects.get().payload)) == (MAX_DEPTH, "bottom")


def test_a_trimmed_event_is_shown_on_the_issue_page_and_in_the_api(client, project, owner):
    # 1,000 levels: more than the stdlib's json (and so the factory) can write.
    body = orjson.dumps(python_error(value="deep", extra={"payload": "DEEP"}))
    intake(project, body.replace(b'"DEEP"', b'{"a":' * 1000 + b"1" + b"}" * 1000))
    digest_batch()
    event = Event.objects.get()
    client.force_login(owner)
    page = client.get(f"/projects/{project.slug}/issues/{event.issue_id}/")
    assert page.status_code == 200
    assert MARKER in page.content.decode()
    api = client.get(
        f"/api/0/projects/bugtrack/{project.slug}/events/{event.event_id}/",
        headers=auth(token_for(owner)),
    )
    assert api.status_code == 200
    assert MARKER in api.content.decode()


def test_orjson_still_stops_where_the_trimming_expects_it_to():
    # digest/trimming.py detects depth by wrapping the event: it relies on this limit.
    value: object = 1
    for _ in range(254):
        value = [value]
    orjson.dumps(value)
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps([value])
