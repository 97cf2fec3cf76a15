"""The sender step against real SMTP: recipients, retries, expiry, leases, flood control."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.leases import length as lease
from alerts.models import Alert, AlertDelivery, AlertKind, AlertStatus, DeliveryStatus
from alerts.sender import claim_deliveries, has_work, prune_old, send_due_alerts
from digest.batch import digest_batch
from issues.lifecycle import resolve
from issues.models import Issue
from projects.models import Membership, Role, UserSettings
from projects.services import add_member
from tests.alert_factories import new_issue_with_alert
from tests.conftest import make_user
from tests.digest_factories import intake, python_error

pytestmark = pytest.mark.django_db


def recipients(messages) -> list[str]:
    return sorted(m["To"] for m in messages)


def test_a_new_issue_emails_each_opted_in_member_once(project, owner, member, smtp_server):
    issue, alert = new_issue_with_alert(project, title="ValueError: card declined")

    result = send_due_alerts()

    assert result.sent == 2
    assert recipients(smtp_server.messages) == ["member@example.com", "owner@example.com"]
    message = smtp_server.messages[0]
    assert message["Subject"] == "[Backend] New issue: ValueError: card declined"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"http://127.0.0.1:8000/projects/{project.slug}/issues/{issue.pk}/"
    for body in (text, html):
        assert link in body
        assert "shop/cart.py:17" in body and "shop/views.py:42" in body
        assert "lib/runner.py" not in body  # not in-app
        assert "/accounts/settings/" in body
    assert text.index("shop/cart.py") < text.index("shop/views.py")  # crash end first
    alert.refresh_from_db()
    assert alert.status == AlertStatus.SENT and alert.sent_at is not None


def test_an_idle_sender_has_no_work_until_an_alert_is_raised(project, smtp_server):
    assert not has_work()  # the sender loop skips its step: nothing to expire, plan or send
    new_issue_with_alert(project)
    assert has_work()
    send_due_alerts()
    assert not has_work()


def test_a_second_step_sends_nothing_more(project, smtp_server):
    new_issue_with_alert(project)
    send_due_alerts()
    assert send_due_alerts().sent == 0
    assert len(smtp_server.messages) == 2


def test_opted_out_members_and_members_without_email_get_nothing(project, member, smtp_server):
    Membership.objects.filter(user=member).update(send_alerts=False)
    add_member(project, make_user("noemail", email=""))
    quiet = make_user("quiet")
    UserSettings.objects.create(user=quiet, alerts_for_new_projects=False)
    add_member(project, quiet)

    new_issue_with_alert(project)
    send_due_alerts()

    assert recipients(smtp_server.messages) == ["owner@example.com"]


def test_a_member_who_leaves_before_the_email_goes_out_gets_nothing(project, member, smtp_server):
    smtp_server.stop()
    _, alert = new_issue_with_alert(project)
    now = timezone.now()
    send_due_alerts(now)  # fanned out to both, SMTP down
    Membership.objects.filter(user=member).delete()

    smtp_server.start()
    send_due_alerts(now + timedelta(hours=1))

    assert recipients(smtp_server.messages) == ["owner@example.com"]
    skipped = AlertDelivery.objects.get(alert=alert, email="member@example.com")
    assert skipped.status == DeliveryStatus.SKIPPED
    alert.refresh_from_db()
    assert alert.status == AlertStatus.SENT


def test_an_alert_without_recipients_is_marked_sent_with_a_note(project, smtp_server):
    Membership.objects.filter(project=project).update(send_alerts=False)
    _, alert = new_issue_with_alert(project)
    send_due_alerts()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.SENT
    assert "No recipients" in alert.last_error
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    ("kind", "subject"),
    [(AlertKind.REGRESSION, "Regression: "), (AlertKind.UNIGNORED, "Unignored: ")],
)
def test_subject_names_the_kind(project, smtp_server, kind, subject):
    issue, _ = new_issue_with_alert(project, title="KeyError: 'x'", kind=kind)
    resolve(issue)
    send_due_alerts()
    assert smtp_server.messages[0]["Subject"] == f"[Backend] {subject}KeyError: 'x'"


def test_smtp_errors_are_retried_with_backoff_and_keep_the_last_error(project, smtp_server):
    smtp_server.stop()
    _, alert = new_issue_with_alert(project)
    now = timezone.now()

    first = send_due_alerts(now)
    assert first.sent == 0 and first.smtp_down
    rows = AlertDelivery.objects.filter(alert=alert)
    assert {r.attempts for r in rows} == {1}
    assert all("Connection" in r.last_error or "refused" in r.last_error.lower() for r in rows)
    first_retry = rows[0].next_attempt_at

    assert send_due_alerts(now + timedelta(seconds=5)).retried == 0  # still backing off
    send_due_alerts(first_retry + timedelta(seconds=1))
    second_retry = AlertDelivery.objects.filter(alert=alert).first().next_attempt_at
    assert second_retry - (first_retry + timedelta(seconds=1)) > first_retry - now  # grows

    smtp_server.start()
    send_due_alerts(second_retry + timedelta(seconds=1))
    assert len(smtp_server.messages) == 2
    alert.refresh_from_db()
    assert alert.status == AlertStatus.SENT


def test_a_rejected_recipient_is_retried_alone_and_fails_after_a_day(project, smtp_server):
    smtp_server.inbox.rejected.add("member@example.com")
    _, alert = new_issue_with_alert(project)
    now = timezone.now()

    send_due_alerts(now)
    send_due_alerts(now + timedelta(hours=2))

    assert recipients(smtp_server.messages) == ["owner@example.com"]
    rejected = AlertDelivery.objects.get(alert=alert, email="member@example.com")
    assert rejected.attempts == 2 and "550" in rejected.last_error
    send_due_alerts(now + timedelta(days=1, minutes=1))
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FAILED
    assert alert.last_error.startswith("member@example.com: Gave up after a day")
    assert recipients(smtp_server.messages) == ["owner@example.com"]


def new_issues_through_the_digest(project, count: int, first: int = 0) -> int:
    """`count` events of distinct bugs, queued as ingest does and digested in one batch."""
    for i in range(first, first + count):
        intake(project, python_error(function=f"handler_{i}", value=f"Error {i}"))
    return digest_batch(batch_size=count)


def test_an_outage_delays_but_never_loses_or_doubles_alerts(project, smtp_server, settings):
    settings.ALERTS_MAX_PER_PROJECT_PER_HOUR = 50
    smtp_server.stop()
    now = timezone.now()
    for batch in range(4):
        # The digest never waits on SMTP: each batch commits its issues and alerts.
        assert new_issues_through_the_digest(project, 5, first=batch * 5) == 5
        send_due_alerts(now)
    assert Issue.objects.count() == 20 and Alert.objects.count() == 20
    assert smtp_server.messages == []

    smtp_server.start()
    later = now + timedelta(hours=2)
    for _ in range(5):
        send_due_alerts(later)

    by_subject: dict[str, list[str]] = {}
    for message in smtp_server.messages:
        by_subject.setdefault(message["Subject"], []).append(message["To"])
    assert len(by_subject) == 20
    assert all(
        sorted(to) == ["member@example.com", "owner@example.com"] for to in by_subject.values()
    )
    assert Alert.objects.filter(status=AlertStatus.SENT).count() == 20


def test_alerts_undelivered_for_a_day_are_marked_failed_not_dropped(project, smtp_server):
    smtp_server.stop()
    _, alert = new_issue_with_alert(project)
    now = timezone.now()
    send_due_alerts(now)

    result = send_due_alerts(now + timedelta(days=1, minutes=1))

    assert result.failed == 2
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FAILED
    assert "Gave up after a day" in alert.last_error
    assert "Connection" in alert.last_error or "refused" in alert.last_error.lower()


def test_alerts_never_planned_within_a_day_are_marked_failed(project, smtp_server):
    _, alert = new_issue_with_alert(project, created_at=timezone.now() - timedelta(days=2))
    send_due_alerts()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FAILED
    assert smtp_server.messages == []


def test_a_sender_that_dies_after_claiming_only_delays_the_email(project, smtp_server):
    new_issue_with_alert(project)
    now = timezone.now()
    send_due_alerts(now - timedelta(seconds=1))  # deliveries exist and were sent
    smtp_server.inbox._messages.clear()
    AlertDelivery.objects.update(status=DeliveryStatus.PENDING, sent_at=None)

    _token, claimed = claim_deliveries(now)  # ...and then the process is killed
    assert len(claimed) == 2
    assert send_due_alerts(now).sent == 0  # leased to the dead sender
    assert send_due_alerts(now + lease() + timedelta(seconds=1)).sent == 2
    assert len(smtp_server.messages) == 2


def test_a_flood_sends_at_most_the_limit_plus_one_summary(project, member, smtp_server, settings):
    settings.ALERTS_MAX_PER_PROJECT_PER_HOUR = 5
    Membership.objects.filter(user=member).update(send_alerts=False)
    now = timezone.now()
    assert new_issues_through_the_digest(project, 500) == 500

    send_due_alerts(now)
    send_due_alerts(now + timedelta(minutes=1))
    assert len(smtp_server.messages) == 5
    assert Alert.objects.filter(status=AlertStatus.HELD).count() == 495

    send_due_alerts(now + timedelta(minutes=61))
    messages = smtp_server.messages
    assert len(messages) == 6
    summary = messages[-1]
    assert summary["Subject"] == "[Backend] 495 alerts held back by flood control"
    assert f"/projects/{project.slug}/issues/" in summary.get_body(("plain",)).get_content()

    send_due_alerts(now + timedelta(minutes=200))
    assert len(smtp_server.messages) == 6  # exactly one summary per window


def test_the_quota_is_a_rolling_hour(project, member, smtp_server, settings):
    settings.ALERTS_MAX_PER_PROJECT_PER_HOUR = 2
    Membership.objects.filter(user=member).update(send_alerts=False)
    now = timezone.now()
    for i in range(3):
        new_issue_with_alert(project, title=f"Early {i}", created_at=now)
    send_due_alerts(now)
    assert len(smtp_server.messages) == 2

    new_issue_with_alert(project, title="Late", created_at=now + timedelta(minutes=61))
    send_due_alerts(now + timedelta(minutes=61))
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert "[Backend] New issue: Late" in subjects
    assert "[Backend] 1 alert held back by flood control" in subjects


def test_several_members_sharing_an_address_get_one_email(project, smtp_server):
    add_member(project, make_user("twin", email="OWNER@example.com"), Role.MEMBER)
    new_issue_with_alert(project)
    send_due_alerts()
    assert len(smtp_server.messages) == 2


def test_alerts_older_than_the_retention_are_pruned_but_pending_ones_stay(project, settings):
    settings.RETENTION_MAX_DAYS = 30
    long_ago = timezone.now() - timedelta(days=31)
    _, old_sent = new_issue_with_alert(project, title="Old", created_at=long_ago)
    _, old_pending = new_issue_with_alert(project, title="Old pending", created_at=long_ago)
    _, recent = new_issue_with_alert(project, title="Recent")
    Alert.objects.filter(pk__in=[old_sent.pk, recent.pk]).update(status=AlertStatus.SENT)

    assert prune_old(timezone.now()) == 1
    assert set(Alert.objects.values_list("pk", flat=True)) == {old_pending.pk, recent.pk}


def test_deliveries_move_the_ops_metrics(project, smtp_server):
    from prometheus_client import REGISTRY

    def sent() -> float:
        return REGISTRY.get_sample_value("bugtrack_alerts_total", {"outcome": "sent"}) or 0.0

    before = sent()
    new_issue_with_alert(project)
    send_due_alerts()
    assert sent() - before == 2
