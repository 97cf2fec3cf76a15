"""Per-event tag limits, and retention keeping tag counts and buckets to the stored events."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from digest.batch import digest_batch
from events import payload
from events.models import Event
from issues.models import Issue, IssueBucket, IssueTagValue
from projects.models import Project
from tests.digest_factories import intake, python_error

pytestmark = pytest.mark.django_db

# As documented in docs/architecture.md ("Digest"): Sentry's key and value lengths.
MAX_TAGS, MAX_KEY, MAX_VALUE = 50, 32, 200
DERIVED = {"level", "release", "environment", "server_name", "user", "browser", "os", "device",
           "runtime", "url"}  # fmt: skip


def indexed(issue: Issue | None = None) -> dict[tuple[str, str], int]:
    rows = IssueTagValue.objects.all() if issue is None else issue.tag_values.all()
    return {(t.key, t.value): t.count for t in rows}


def test_an_event_with_60000_tags_indexes_only_the_first_50(project):
    tags = {f"tag{n}": f"value{n}" for n in range(60_001)}
    intake(project, python_error(tags=tags, release="1.0"))
    digest_batch()
    sdk = {k for k, _ in indexed() if k not in DERIVED}
    assert sdk == {f"tag{n}" for n in range(MAX_TAGS)}
    assert IssueTagValue.objects.count() <= MAX_TAGS + len(DERIVED)
    event = Event.objects.get()
    assert len(payload.decode(event.payload)["tags"]) == 60_001  # kept, just not indexed
    assert set(event.tags) == sdk | {"level", "release"}


def test_tags_with_too_long_keys_or_values_stay_in_the_payload_unindexed(project):
    tags = {
        "k" * MAX_KEY: "longest key",
        "k" * (MAX_KEY + 1): "key too long",
        "longest": "v" * MAX_VALUE,
        "too-long": "v" * (MAX_VALUE + 1),
    }
    intake(project, python_error(tags=tags))
    digest_batch()
    keys = {k for k, _ in indexed()}
    assert {"k" * MAX_KEY, "longest"} <= keys
    assert not keys & {"k" * (MAX_KEY + 1), "too-long"}
    stored = dict(payload.decode(Event.objects.get().payload)["tags"])
    assert stored["too-long"] == "v" * (MAX_VALUE + 1)
    assert stored["k" * (MAX_KEY + 1)] == "key too long"


def test_derived_tags_are_always_indexed_and_cut_to_the_value_limit(project):
    tags = {f"tag{n}": "x" for n in range(MAX_TAGS + 10)}
    intake(project, python_error(tags=tags, release="r" * 250, environment="prod"))
    digest_batch()
    keys = dict(indexed())
    assert ("release", "r" * MAX_VALUE) in keys and ("environment", "prod") in keys


def event_at(project: Project, hours_ago: int, **tags: str):
    ts = (datetime.now(UTC) - timedelta(hours=hours_ago)).timestamp()
    return intake(project, python_error(tags=tags, timestamp=ts, user={"id": tags.get("u", "")}))


def expected_from_events() -> tuple[Counter, Counter]:
    """Tag counts and hourly buckets recomputed from the events that are still stored."""
    tags: Counter = Counter()
    buckets: Counter = Counter()
    for event in Event.objects.all():
        for key, value in event.tags.items():
            tags[(event.issue_id, key, value)] += 1
        hour = event.timestamp.replace(minute=0, second=0, microsecond=0)
        buckets[(event.issue_id, hour)] += 1
    return tags, buckets


def actual() -> tuple[Counter, Counter]:
    tags = Counter({(t.issue_id, t.key, t.value): t.count for t in IssueTagValue.objects.all()})
    buckets = Counter({(b.issue_id, b.hour): b.count for b in IssueBucket.objects.all()})
    return tags, buckets


def fill(project: Project, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        event_at(project, hours_ago=n % 7, customer=f"c{n}", plan=f"p{n % 3}", u=str(n % 5))
    digest_batch()


def test_after_retention_tag_and_bucket_rows_match_the_remaining_events(project):
    Project.objects.filter(pk=project.pk).update(retention_max_events=10)
    fill(project, 40)
    call_command("retention")
    assert Event.objects.count() == 10
    expected_tags, expected_buckets = expected_from_events()
    tags, buckets = actual()
    assert tags == expected_tags
    assert buckets == expected_buckets
    assert IssueTagValue.objects.count() == len(expected_tags)
    assert Issue.objects.get().event_count == 40  # the issue's own counter stays a total


def test_the_retention_command_keeps_the_aggregates_to_the_stored_events(project):
    Project.objects.filter(pk=project.pk).update(retention_max_events=5)
    fill(project, 20)
    call_command("retention")
    assert actual() == expected_from_events()


def test_tag_and_bucket_tables_stay_bounded_as_events_come_and_go(project):
    Project.objects.filter(pk=project.pk).update(retention_max_events=20)
    sizes = []
    for round_ in range(5):
        fill(project, 40, start=round_ * 40)  # every event has a customer tag of its own
        call_command("retention")
        sizes.append((IssueTagValue.objects.count(), IssueBucket.objects.count()))
    assert len(set(sizes)) == 1, sizes  # the same size after every round
    assert actual() == expected_from_events()


def test_deleting_an_issue_deletes_its_tag_values_and_buckets(project):
    fill(project, 3)
    Issue.objects.get().delete()
    assert not IssueTagValue.objects.exists() and not IssueBucket.objects.exists()
