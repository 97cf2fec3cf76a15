"""Demo data (bench/make_demodata.py): consistent issues, events, tags, buckets and history."""

import orjson
import pytest
from django.db.models import Sum

from bench.corpus import FIXTURES, payload_dirs
from bench.demoshape import templates_from_corpus
from events.models import Event
from events.payload import decode
from issues.models import HistoryKind, Issue, IssueBucket, IssueHistory, IssueTagValue
from projects.models import Project
from tests.payloads import CORPUS, payloads_under


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


def test_demo_data_is_made_from_the_repos_fixtures_alone(db):
    """A fresh clone has no shared corpus: the fixtures are the templates."""
    from bench.make_demodata import fill

    fill("Fresh", issues=30, events=90, seed=5, corpus=[FIXTURES], log=lambda line: None)
    project = Project.objects.get(name="Fresh")
    assert Issue.objects.filter(project=project).count() == 30
    platforms = set(Issue.objects.filter(project=project).values_list("platform", flat=True))
    assert len(platforms) > 3


def test_the_default_templates_are_the_fixtures_and_the_corpus_when_present():
    dirs = payload_dirs()
    assert dirs[0] == FIXTURES
    assert dirs[1:] == ([CORPUS] if CORPUS else [])


def test_a_missing_template_directory_is_a_clear_error(db):
    from bench.make_demodata import fill

    with pytest.raises(SystemExit, match="does not exist"):
        fill("Nope", issues=1, events=1, corpus=[FIXTURES / "nope"], log=lambda line: None)


@pytest.mark.parametrize("root", payload_dirs(), ids=lambda p: p.name)
def test_templates_carry_no_nul_characters_postgresql_would_refuse(root):
    broken = {p.name for p in payloads_under(root) if p.broken}
    dumped = [orjson.dumps(t) for t in templates_from_corpus(root)]
    assert len(dumped) >= len(payloads_under(root)) - len(broken) - 5  # a few are no objects
    assert not [d for d in dumped if b"\\u0000" in d]
