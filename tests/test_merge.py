import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from digest.batch import digest_batch
from digest.unmerge import unmerge
from events.models import Event
from issues.merge import MergeError, merge
from issues.models import (
    GroupingHash,
    HistoryKind,
    Issue,
    IssueBucket,
    IssueHistory,
    IssueMinute,
    IssueRedirect,
    IssueTagValue,
)
from tests.digest_factories import intake, python_error
from tests.issue_factories import make_event, make_issue

pytestmark = pytest.mark.django_db


def digest(project, type_: str, n: int, **kw) -> Issue:
    for _ in range(n):
        intake(project, python_error(type_=type_, **kw))
    digest_batch()
    return Issue.objects.get(title__startswith=type_)


def tags_of(issue: Issue) -> dict[tuple[str, str], int]:
    return {(t.key, t.value): t.count for t in IssueTagValue.objects.filter(issue=issue)}


def test_merge_gives_the_parent_the_childrens_hashes_events_and_counters(project, owner):
    a = digest(project, "AError", 3, environment="prod", release="1.0")
    b = digest(project, "BError", 2, environment="staging", release="2.0")
    parent = merge(project.pk, [a.pk, b.pk], owner)
    assert parent.pk == a.pk  # the one with the most events
    assert not Issue.objects.filter(pk=b.pk).exists()
    parent.refresh_from_db()
    assert parent.event_count == 5
    assert sorted(parent.environments) == ["prod", "staging"]
    assert Event.objects.filter(issue=parent).count() == 5
    assert set(GroupingHash.objects.filter(issue=parent).values_list("hash", flat=True)) == {
        a.grouping_hash,
        b.grouping_hash,
    }
    assert tags_of(parent)[("environment", "prod")] == 3
    assert tags_of(parent)[("environment", "staging")] == 2
    assert tags_of(parent)[("level", "error")] == 5
    assert sum(IssueBucket.objects.filter(issue=parent).values_list("count", flat=True)) == 5
    assert sum(IssueMinute.objects.filter(issue=parent).values_list("count", flat=True)) == 5
    assert IssueRedirect.objects.get(old_id=b.pk).issue_id == parent.pk
    merged = IssueHistory.objects.get(issue=parent, kind=HistoryKind.MERGED)
    assert merged.user == owner and merged.data == {"children": [b.short_code]}
    # the child's first-seen history came along
    assert IssueHistory.objects.filter(issue=parent, kind=HistoryKind.FIRST_SEEN).count() == 2


def test_new_events_of_a_merged_hash_land_in_the_parent(project, owner):
    a = digest(project, "AError", 2)
    b = digest(project, "BError", 1)
    parent = merge(project.pk, [a.pk, b.pk], owner)
    for type_ in ("AError", "BError", "BError"):
        intake(project, python_error(type_=type_))
    digest_batch()
    assert Issue.objects.count() == 1
    parent.refresh_from_db()
    assert parent.event_count == 6
    assert Event.objects.filter(issue=parent).count() == 6
    assert tags_of(parent)[("level", "error")] == 6


def test_digest_query_count_is_the_same_for_merged_issues(project, owner):
    a = digest(project, "AError", 1)
    b = digest(project, "BError", 1)
    digest(project, "CError", 1)

    def queries() -> int:
        for type_ in ("AError", "BError", "CError"):
            intake(project, python_error(type_=type_))
        with CaptureQueriesContext(connection) as ctx:
            digest_batch()
        return len(ctx.captured_queries)

    before = queries()
    merge(project.pk, [a.pk, b.pk], owner)
    assert queries() == before


def test_merge_moves_merged_grandchildren_and_their_redirects(project, owner):
    a = digest(project, "AError", 3)
    b = digest(project, "BError", 2)
    c = digest(project, "CError", 1)
    merge(project.pk, [b.pk, c.pk], owner)
    parent = merge(project.pk, [a.pk, b.pk], owner)
    assert GroupingHash.objects.filter(issue=parent).count() == 3
    assert IssueRedirect.objects.get(old_id=c.pk).issue_id == parent.pk


def test_merge_needs_two_issues_of_the_same_project(project, owner, outsider):
    from projects.models import Project

    a = make_issue(project)
    other = Project.objects.create(name="Other", slug="other")
    foreign = make_issue(other)
    with pytest.raises(MergeError):
        merge(project.pk, [a.pk], owner)
    with pytest.raises(MergeError):
        merge(project.pk, [a.pk, foreign.pk], owner)
    assert Issue.objects.count() == 2


def test_unmerge_sends_the_chosen_hash_and_its_events_to_a_new_issue(project, owner):
    a = digest(project, "AError", 3, environment="prod")
    b = digest(project, "BError", 2, environment="staging")
    parent = merge(project.pk, [a.pk, b.pk], owner)
    new = unmerge(parent, [b.grouping_hash], owner)
    parent.refresh_from_db()
    assert new.pk not in (a.pk, b.pk)
    assert new.title.startswith("BError")
    assert (new.event_count, parent.event_count) == (2, 3)
    assert new.environments == ["staging"]
    assert Event.objects.filter(issue=new).count() == 2
    assert Event.objects.filter(issue=parent).count() == 3
    assert tags_of(new)[("environment", "staging")] == 2
    assert ("environment", "staging") not in tags_of(parent)
    assert tags_of(parent)[("level", "error")] == 3
    assert sum(IssueBucket.objects.filter(issue=new).values_list("count", flat=True)) == 2
    assert sum(IssueBucket.objects.filter(issue=parent).values_list("count", flat=True)) == 3
    assert sum(IssueMinute.objects.filter(issue=new).values_list("count", flat=True)) == 2
    assert sum(IssueMinute.objects.filter(issue=parent).values_list("count", flat=True)) == 3
    assert list(GroupingHash.objects.filter(issue=new).values_list("hash", flat=True)) == [
        b.grouping_hash
    ]
    assert new.short_id == 3
    intake(project, python_error(type_="BError"))
    digest_batch()
    new.refresh_from_db()
    assert new.event_count == 3


def test_after_an_unmerge_retention_subtracts_exactly_what_was_moved(project, owner, settings):
    from events.retention import enforce_for_project
    from issues.aggregates import forget_events

    a = digest(project, "AError", 3, environment="prod")
    b = digest(project, "BError", 2, environment="staging", tags={"flavour": "mint"})
    parent = merge(project.pk, [a.pk, b.pk], owner)
    new = unmerge(parent, [b.grouping_hash], owner)
    assert tags_of(new)[("flavour", "mint")] == 2
    settings.RETENTION_MAX_EVENTS = 0  # every stored event goes
    enforce_for_project(project, on_delete=forget_events)
    assert not Event.objects.filter(issue__in=[parent, new]).exists()
    assert IssueTagValue.objects.filter(issue__in=[parent, new]).count() == 0
    assert IssueBucket.objects.filter(issue__in=[parent, new]).count() == 0


def test_unmerging_the_parents_own_hash_takes_its_events_made_before_hashes_were_stored(
    project, owner
):
    a = make_issue(project, event_count=2)
    b = make_issue(project, event_count=1)
    for _ in range(2):
        make_event(a)  # no grouping hash on the event: it has its issue's own hash
    make_event(b)
    parent = merge(project.pk, [a.pk, b.pk], owner)
    new = unmerge(parent, [a.grouping_hash], owner)
    parent.refresh_from_db()
    assert parent.grouping_hash == b.grouping_hash
    assert Event.objects.filter(issue=new).count() == 2
    assert Event.objects.filter(issue=parent).count() == 1
    assert (new.event_count, parent.event_count) == (2, 1)


def test_unmerge_keeps_one_hash_and_takes_only_the_issues_own(project, owner):
    a = make_issue(project)
    b = make_issue(project)
    with pytest.raises(MergeError):
        unmerge(a, [a.grouping_hash], owner)
    with pytest.raises(MergeError):
        unmerge(a, [b.grouping_hash], owner)
