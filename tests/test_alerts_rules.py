"""Alert rules: the default reproduces email-on-new/regression/unignored, filters pick
targets, frequency rules fire from the digest's counters once per window."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Alert, AlertKind, AlertRule, Channel, Frequency
from alerts.sender import has_work, send_due_alerts
from digest.batch import digest_batch
from issues.models import IssueMinute
from projects.services import create_project
from tests.alert_factories import new_issue_with_alert
from tests.digest_factories import intake, python_error

pytestmark = pytest.mark.django_db


def webhook(project, receiver) -> Channel:
    return Channel.objects.create(project=project, kind="webhook", url=receiver.url, name="hook")


def events_at(project, when: datetime, n: int, **extra) -> None:
    for _ in range(n):
        intake(project, python_error(timestamp=when.timestamp(), **extra), received_at=when)
    digest_batch()


def test_a_new_project_starts_with_the_default_rule_email_on_new_regression_unignored(db):
    project = create_project("Fresh", admins=[])
    rule = project.alert_rules.get()
    assert (rule.on_new, rule.on_regression, rule.on_unignored, rule.email) == (
        True, True, True, True,
    )  # fmt: skip
    assert not rule.channels.exists() and not rule.frequency


def test_without_a_rule_that_emails_no_email_is_sent(project, smtp_server):
    project.alert_rules.update(email=False)
    _, alert = new_issue_with_alert(project)
    send_due_alerts()
    assert smtp_server.messages == []
    alert.refresh_from_db()
    assert alert.last_error == "No rule sends this alert anywhere."


def test_a_level_filter_keeps_warnings_out_of_a_channel(project, receivers):
    receiver = receivers()
    rule = AlertRule.objects.create(
        project=project, name="errors to chat", on_new=True, min_level="error"
    )
    rule.channels.add(webhook(project, receiver))
    intake(project, python_error(level="warning", value="just a warning"))
    intake(project, python_error(type_="KeyError", level="fatal"))
    digest_batch()
    send_due_alerts()
    assert [r.json()["issue"]["level"] for r in receiver.requests] == ["fatal"]


def test_environment_and_tag_filters_match_the_triggering_event(project, receivers):
    receiver = receivers()
    rule = AlertRule.objects.create(
        project=project,
        name="prod checkout",
        on_new=True,
        environment="production",
        tag_key="area",
        tag_value="checkout",
    )
    rule.channels.add(webhook(project, receiver))
    intake(project, python_error(type_="A", environment="production", tags={"area": "checkout"}))
    intake(project, python_error(type_="B", environment="staging", tags={"area": "checkout"}))
    intake(project, python_error(type_="C", environment="production", tags={"area": "search"}))
    digest_batch()
    send_due_alerts()
    assert [r.json()["issue"]["title"].split(":")[0] for r in receiver.requests] == ["A"]


def test_an_events_frequency_rule_fires_once_per_window(project, receivers):
    receiver = receivers()
    project.alert_rules.update(enabled=False)  # only the frequency rule speaks
    rule = AlertRule.objects.create(
        project=project,
        name="busy",
        frequency=Frequency.EVENTS,
        threshold=3,
        window_minutes=10,
    )
    rule.channels.add(webhook(project, receiver))
    start = datetime.now(UTC).replace(second=0, microsecond=0)

    events_at(project, start, 3)
    send_due_alerts(start + timedelta(seconds=30))
    assert receiver.requests == []  # 3 is not more than 3

    events_at(project, start + timedelta(minutes=1), 1)
    send_due_alerts(start + timedelta(minutes=1, seconds=30))
    assert len(receiver.requests) == 1
    payload = receiver.requests[0].json()
    assert payload["action"] == "frequency"
    assert payload["rule"] == {
        "name": "busy", "frequency": "events", "threshold": 3, "windowMinutes": 10,
    }  # fmt: skip
    assert "More than 3 events in 10 minutes" in payload["message"]

    events_at(project, start + timedelta(minutes=2), 10)  # still the same window
    send_due_alerts(start + timedelta(minutes=3))
    assert len(receiver.requests) == 1

    events_at(project, start + timedelta(minutes=12), 4)  # a new window
    send_due_alerts(start + timedelta(minutes=12, seconds=30))
    assert len(receiver.requests) == 2
    assert Alert.objects.filter(kind=AlertKind.FREQUENCY).count() == 2


def test_a_users_frequency_rule_counts_distinct_users_in_the_window(project, receivers):
    receiver = receivers()
    project.alert_rules.update(enabled=False)
    rule = AlertRule.objects.create(
        project=project, name="many users", frequency=Frequency.USERS, threshold=2,
        window_minutes=5,
    )  # fmt: skip
    rule.channels.add(webhook(project, receiver))
    now = datetime.now(UTC)
    for user in ("ann", "bob", "ann", "bob"):
        events_at(project, now, 1, user={"id": user})
    send_due_alerts(now + timedelta(seconds=5))
    assert receiver.requests == []  # two users, not more than two

    events_at(project, now, 1, user={"id": "cyd"})
    send_due_alerts(now + timedelta(seconds=10))
    assert len(receiver.requests) == 1
    assert receiver.requests[0].json()["issue"]["userCount"] == 3


def test_the_digest_keeps_per_minute_counts_in_one_statement_per_batch(project):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    for minute in range(3):
        for _ in range(2):
            when = now - timedelta(minutes=minute)
            intake(project, python_error(timestamp=when.timestamp()), received_at=now)
    with CaptureQueriesContext(connection) as queries:
        digest_batch()
    assert sorted(IssueMinute.objects.values_list("count", flat=True)) == [2, 2, 2]
    assert sum('"issues_issueminute"' in q["sql"] for q in queries.captured_queries) == 1


def test_an_idle_sender_with_a_frequency_rule_wakes_only_when_there_are_counts(project):
    events_at(project, datetime.now(UTC), 1)
    send_due_alerts()
    assert not has_work()  # counts, but no frequency rule to read them
    AlertRule.objects.create(project=project, name="f", frequency=Frequency.EVENTS)
    assert has_work()
    IssueMinute.objects.all().delete()
    assert not has_work()  # a rule, but nothing counted in the last day
