from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.models import Alert
from digest import grouping
from digest.batch import digest_batch
from digest.normalize import normalize, parse
from events import payload
from events.models import Event
from ingest.models import IntakeEvent
from issues import lifecycle
from issues.models import HistoryKind, Issue, IssueBucket, IssueStatus, IssueTagValue
from projects.models import Project
from tests.digest_factories import intake, python_error
from tests.payloads import accepted_payloads, fixture

pytestmark = pytest.mark.django_db


def test_events_of_one_bug_become_one_issue_with_exact_counters(project):
    for n in range(3):
        intake(project, python_error(value=f"bad value {n}", environment="prod", release="1.0"))
    assert digest_batch() == 3
    issue = Issue.objects.get()
    assert issue.event_count == 3
    assert issue.short_id == 1
    assert issue.title == "ValueError: bad value 0"
    assert issue.culprit == "app.views in handler"
    assert issue.environments == ["prod"]
    assert (issue.first_release, issue.last_release) == ("1.0", "1.0")
    assert Event.objects.filter(issue=issue).count() == 3
    assert not IntakeEvent.objects.exists()
    assert IssueBucket.objects.get(issue=issue).count == 3
    tags = {(t.key, t.value): t.count for t in IssueTagValue.objects.filter(issue=issue)}
    assert tags[("environment", "prod")] == 3
    assert tags[("release", "1.0")] == 3
    assert tags[("level", "error")] == 3


def test_stored_payload_is_the_normalized_event(project):
    row = intake(project, python_error(tags={"browser": "Firefox"}))
    digest_batch()
    event = Event.objects.get()
    data = payload.decode(event.payload)
    assert data["event_id"] == row.event_id
    assert data["tags"] == [["browser", "Firefox"]]
    assert isinstance(data["timestamp"], float)
    assert event.tags == {"browser": "Firefox", "level": "error"}  # what its issue counted


def test_same_event_id_twice_is_stored_and_counted_once(project):
    event = python_error()
    intake(project, event, event_id="a" * 32)
    digest_batch()
    intake(project, event, event_id="a" * 32)
    digest_batch()
    assert Event.objects.count() == 1
    assert Issue.objects.get().event_count == 1


def test_new_issue_gets_history_and_alert(project):
    row = intake(project, python_error())
    digest_batch()
    issue = Issue.objects.get()
    assert list(issue.history.values_list("kind", "event_id")) == [
        (HistoryKind.FIRST_SEEN, row.event_id)
    ]
    alert = Alert.objects.get()
    assert (alert.kind, alert.status, alert.issue_id) == ("new", "pending", issue.pk)


def test_alert_toggle_off_writes_no_alert(project):
    Project.objects.filter(pk=project.pk).update(alert_on_new_issue=False)
    intake(project, python_error())
    digest_batch()
    assert Issue.objects.count() == 1
    assert not Alert.objects.exists()


def test_event_for_resolved_issue_is_a_regression(project):
    intake(project, python_error())
    digest_batch()
    issue = Issue.objects.get()
    lifecycle.resolve(issue, actor="test")
    row = intake(project, python_error())
    digest_batch()
    issue.refresh_from_db()
    assert issue.status == IssueStatus.UNRESOLVED
    regressed = issue.history.get(kind=HistoryKind.REGRESSED)
    assert (regressed.event_id, regressed.actor) == (row.event_id, "digest")
    assert Alert.objects.filter(kind="regression", event_id=row.event_id).count() == 1


def test_resolved_in_next_release_ignores_the_same_release_and_regresses_on_a_newer(project):
    intake(project, python_error(release="1.0.0"))
    digest_batch()
    issue = Issue.objects.get()
    lifecycle.resolve_in_next_release(issue, actor="test")
    intake(project, python_error(release="1.0.0"))
    digest_batch()
    issue.refresh_from_db()
    assert issue.status == IssueStatus.RESOLVED_NEXT_RELEASE
    row = intake(project, python_error(release="1.1.0"))
    digest_batch()
    issue.refresh_from_db()
    assert issue.status == IssueStatus.UNRESOLVED
    assert issue.history.get(kind=HistoryKind.REGRESSED).event_id == row.event_id


def test_non_semver_releases_compare_by_when_the_project_first_saw_them(project):
    intake(project, python_error(release="blue"))
    digest_batch()
    issue = Issue.objects.get()
    lifecycle.resolve_in_next_release(issue, actor="test")
    intake(project, python_error(release="green"))
    digest_batch()
    issue.refresh_from_db()
    assert issue.status == IssueStatus.UNRESOLVED


def test_ignore_until_count_wakes_the_issue_with_an_alert(project):
    intake(project, python_error())
    digest_batch()
    issue = Issue.objects.get()
    lifecycle.ignore(issue, actor="test", more_events=2)
    intake(project, python_error())
    digest_batch()
    issue.refresh_from_db()
    assert issue.status == IssueStatus.IGNORED
    second = intake(project, python_error())
    intake(project, python_error())
    digest_batch()
    issue.refresh_from_db()
    assert issue.status == IssueStatus.UNRESOLVED
    assert issue.history.get(kind=HistoryKind.UNIGNORED).event_id == second.event_id
    assert Alert.objects.filter(kind="unignored").count() == 1


def test_ignore_until_a_time_wakes_after_it(project):
    intake(project, python_error())
    digest_batch()
    issue = Issue.objects.get()
    lifecycle.ignore(issue, actor="test", duration=timedelta(hours=1))
    intake(project, python_error())
    digest_batch()
    issue.refresh_from_db()
    assert issue.status == IssueStatus.IGNORED
    Issue.objects.filter(pk=issue.pk).update(ignore_until=timezone.now() - timedelta(seconds=1))
    intake(project, python_error())
    digest_batch()
    issue.refresh_from_db()
    assert issue.status == IssueStatus.UNRESOLVED


def test_ignored_forever_stays_ignored(project):
    intake(project, python_error())
    digest_batch()
    issue = Issue.objects.get()
    lifecycle.ignore(issue, actor="test")
    for _ in range(3):
        intake(project, python_error())
    digest_batch()
    issue.refresh_from_db()
    assert (issue.status, issue.event_count) == (IssueStatus.IGNORED, 4)
    assert not Alert.objects.exclude(kind="new").exists()


def test_events_of_a_deleted_project_are_dropped(project):
    intake(999_999, python_error())
    intake(project, python_error())
    assert digest_batch() == 2
    assert Event.objects.count() == 1
    assert not IntakeEvent.objects.exists()


def test_unparseable_payload_is_kept_with_an_error_marker(project):
    intake(project, b"this is not json", event_id="b" * 32)
    intake(project, b"[1, 2]", event_id="c" * 32)
    intake(project, python_error())
    digest_batch()
    broken = Event.objects.exclude(processing_error="")
    assert broken.count() == 2
    assert len({e.issue_id for e in broken}) == 1
    assert payload.decode(broken.first().payload)["extra"]["raw_payload"]
    assert broken.first().issue.title == "Unprocessable events"
    assert Issue.objects.count() == 2


def test_short_ids_count_up_per_project(project):
    intake(project, python_error(type_="A"))
    intake(project, python_error(type_="B"))
    digest_batch()
    intake(project, python_error(type_="C"))
    digest_batch()
    assert sorted(Issue.objects.values_list("short_id", flat=True)) == [1, 2, 3]
    project.refresh_from_db()
    assert project.next_short_id == 4


def test_every_accepted_payload_digests_into_its_own_grouping(project):
    """Every payload ingest queues (fixtures, and the shared corpus when present) becomes an
    event of an issue, one issue per grouping hash."""
    payloads = accepted_payloads()
    hashes = set()
    for n, p in enumerate(payloads):
        body = p.queued()
        intake(project, body, event_id=f"{n:032x}")
        data = normalize(parse(body), "0" * 32, timezone.now())
        hashes.add(grouping.compute(data).hash)
    while digest_batch(50):
        pass
    assert Event.objects.count() == len(payloads)
    assert list(Event.objects.exclude(processing_error="").values_list("event_id", flat=True)) == []
    assert Issue.objects.count() == len(hashes)
    assert all(i.title for i in Issue.objects.all())


TITLES = [
    ("python/chained-cause.json", "PaymentError: gateway reply for order 81723 is not JSON",
     "shop.payments in charge"),
    ("java/chained-exceptions.json",
     "OrderPlacementException: Order 418822 could not be placed for customer 9912",
     "com.acme.orders.OrderService$1 in onFailure"),
    ("node/chained-cause.json", "InventoryError: stock file of warehouse 7 is corrupt",
     "node_app in loadWarehouse"),
    ("edge/threads-crashed-no-exception.json", "Deadlock detected between 2 threads",
     "com.acme.cache.Segment in lock"),  # the crashed thread's stack
    ("android/ndk-native.json", "SIGSEGV: Segfault",
     "shop::Thumbnail::decode(unsigned char const*, unsigned long)"),  # no file: function
    ("edge/exception-type-only.json", "KeyboardInterrupt", "worker.main in serve_forever"),
    ("edge/exception-value-only.json", "Script error.", ""),
    ("edge/message-string-with-exception.json",
     '*template.ExecError: template: welcome:3:14: executing "welcome" at <.User.Name>: nil '
     "pointer evaluating *model.User.Name", ""),  # the first line of the value
    ("edge/fingerprint-not-a-list.json", "fingerprint must be a list; this one is ignored",
     ""),  # the first line of the message
    ("edge/exception-values-null.json", "Queue consumer stopped after 3 retries",
     "queue:orders"),  # the transaction
    ("edge/weird-types.json", "<unlabeled event>", "1.5"),  # the SDK's culprit
]  # fmt: skip


@pytest.mark.parametrize(("name", "title", "culprit"), TITLES, ids=[t[0] for t in TITLES])
def test_issue_title_and_culprit(project, name, title, culprit):
    intake(project, fixture(name))
    digest_batch()
    issue = Issue.objects.get()
    assert (issue.title, issue.culprit) == (title, culprit)


def test_query_count_per_batch_does_not_grow_with_batch_size(project):
    def queries_for(n: int) -> int:
        for i in range(n):
            intake(project, python_error(type_=f"E{i % 5}", tags={"k": str(i)}))
        with CaptureQueriesContext(connection) as ctx:
            digest_batch(n)
        return len(ctx.captured_queries)

    queries_for(5)  # issues exist now: the steady state
    assert queries_for(10) == queries_for(200)


def test_a_poisoned_event_does_not_stall_the_queue(project, monkeypatch):
    from digest import summary

    real = summary.culprit

    def explode_on_marker(event):  # fails after normalization, inside the batch transaction
        if event.get("transaction") == "poison":
            raise RuntimeError("boom")
        return real(event)

    monkeypatch.setattr(summary, "culprit", explode_on_marker)
    intake(project, python_error(transaction="poison"))
    intake(project, python_error())
    digest_batch()
    assert not IntakeEvent.objects.exists()
    assert Event.objects.count() == 2
    assert Event.objects.exclude(processing_error="").count() == 1


def test_title_for_a_message_event(project):
    intake(project, fixture("edge/message-string.json"))
    digest_batch()
    assert Issue.objects.get().title == "Bounce rate for campaign 2211 reached 7.5% (threshold 5%)"


def test_derived_tags_come_from_the_event_and_its_contexts(project):
    intake(project, fixture("android/kotlin-crash.json"))
    intake(project, fixture("dotnet/aspnetcore-divide-by-zero.json"))
    digest_batch()
    tags = set(IssueTagValue.objects.values_list("key", "value"))
    assert {
        ("os", "Android 14"),
        ("user", "a7f1c2"),
        ("release", "com.acme.shop@4.2.0+4200"),
        ("screen", "CartFragment"),
        ("level", "fatal"),
        ("server_name", "billing-vm-02"),
        ("os", "Linux"),  # a context without a version
        ("user", "billing-admin"),
    } <= tags


def test_events_queued_before_the_issue_was_resolved_do_not_reopen_it(project):
    intake(project, python_error())
    digest_batch()
    issue = Issue.objects.get()
    backlog = intake(project, python_error())  # received, not yet digested
    lifecycle.resolve(issue, actor="test")
    IntakeEvent.objects.filter(pk=backlog.pk).update(
        received_at=issue.resolved_at - timedelta(seconds=1)
    )
    digest_batch()
    issue.refresh_from_db()
    assert (issue.status, issue.event_count) == (IssueStatus.RESOLVED, 2)
    assert not issue.history.filter(kind=HistoryKind.REGRESSED).exists()
