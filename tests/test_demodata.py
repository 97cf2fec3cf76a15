"""Demo data (bench/make_demodata.py): consistent issues, events, tags, buckets and history."""

import pytest
from django.db.models import Sum

from events.models import Event
from events.payload import decode
from issues.models import HistoryKind, Issue, IssueBucket, IssueHistory, IssueTagValue
from projects.models import Project


@pytest.fixture
def demo(db) -> Project:
    from bench.make_demodata import fill

    fill("Demo", issues=25, events=400, seed=3, log=lambda line: None)
    return Project.objects.get(name="Demo")


def test_every_event_belongs_to_an_issue_whose_count_matches(demo):
    assert Issue.objects.filter(project=demo).count() == 25
    assert Event.objects.filter(project=demo).count() == 400
    for issue in Issue.objects.filter(project=demo):
        assert issue.events.count() == issue.event_count >= 1


def test_tag_counts_and_hourly_buckets_add_up_to_the_event_count(demo):
    for issue in Issue.objects.filter(project=demo):
        buckets = IssueBucket.objects.filter(issue=issue).aggregate(n=Sum("count"))["n"]
        assert buckets == issue.event_count
        per_key = IssueTagValue.objects.filter(issue=issue, key="environment")
        assert per_key.aggregate(n=Sum("count"))["n"] == issue.event_count


def test_first_and_last_seen_span_the_issue_events(demo):
    for issue in Issue.objects.filter(project=demo):
        times = issue.events.order_by("timestamp").values_list("timestamp", flat=True)
        assert issue.first_seen == times.first()
        assert issue.last_seen == times.last()


def test_payloads_decode_to_canonical_events_with_their_own_ids(demo):
    for event in Event.objects.filter(project=demo)[:50]:
        data = decode(event.payload)
        assert data["event_id"] == event.event_id
        assert isinstance(data.get("tags"), list)
        assert dict(data["tags"])["release"] == event.release


def test_every_issue_has_a_first_seen_history_entry(demo):
    firsts = IssueHistory.objects.filter(issue__project=demo, kind=HistoryKind.FIRST_SEEN)
    assert firsts.count() == 25


def test_short_ids_continue_after_the_demo_issues(demo):
    demo.refresh_from_db()
    assert demo.next_short_id == 26
    assert sorted(Issue.objects.filter(project=demo).values_list("short_id", flat=True)) == list(
        range(1, 26)
    )


def test_corpus_templates_carry_no_nul_characters_postgresql_would_refuse():
    from bench.demoshape import templates_from_corpus
    from bugtrack.corpus import find_corpus

    corpus = find_corpus()
    if corpus is None:
        pytest.skip("no shared/corpus beside the repo")
    import orjson

    dumped = [orjson.dumps(t) for t in templates_from_corpus(corpus)]
    assert len(dumped) > 100
    assert not [d for d in dumped if b"\\u0000" in d]
