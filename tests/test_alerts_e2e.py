"""End to end: the real sentry-sdk -> live gunicorn -> digest worker -> sender -> real SMTP."""

import signal
import time

import pytest
import sentry_sdk

from alerts.models import Alert, AlertKind
from alerts.sender import send_due_alerts
from issues.lifecycle import resolve
from issues.models import Issue
from projects.services import add_member
from tests.alert_factories import new_issue_with_alert
from tests.conftest import dsn_for
from tests.live import start_command
from tests.smtp import SmtpServer

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def divide_for_alerts_e2e(items: list[int]) -> float:
    return sum(items) / len(items)


def send_event(dsn: str) -> None:
    """Capture with a client of our own, leaving the process-wide SDK set-up untouched."""
    client = sentry_sdk.Client(dsn, default_integrations=False, release="shop@2.0")
    with sentry_sdk.new_scope() as scope:
        scope.set_client(client)
        try:
            divide_for_alerts_e2e([])
        except ZeroDivisionError:
            assert sentry_sdk.capture_exception() is not None
    client.flush(timeout=10)
    client.close()


def wait_until(predicate, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def test_a_real_event_alerts_once_then_regresses(live_server_url, project, outsider, smtp_server):
    opted_out = add_member(project, outsider)
    opted_out.send_alerts = False
    opted_out.save()
    worker = start_command("worker", base_url=live_server_url)
    dsn = dsn_for(project, live_server_url)
    try:
        send_event(dsn)
        issue = wait_until(lambda: Issue.objects.filter(project=project).first())
        wait_until(lambda: Alert.objects.filter(issue=issue).exists())
        send_due_alerts()

        messages = smtp_server.messages
        assert sorted(m["To"] for m in messages) == ["member@example.com", "owner@example.com"]
        assert messages[0]["Subject"].startswith("[Backend] New issue: ZeroDivisionError")
        text = messages[0].get_body(("plain",)).get_content()
        assert f"/projects/{project.slug}/issues/{issue.pk}/" in text
        assert "divide_for_alerts_e2e" in text and "test_alerts_e2e.py" in text

        send_event(dsn)
        wait_until(lambda: Issue.objects.get(pk=issue.pk).event_count == 2)
        send_due_alerts()
        assert len(smtp_server.messages) == 2  # the same issue again: no email

        resolve(Issue.objects.get(pk=issue.pk))
        send_event(dsn)
        wait_until(lambda: Alert.objects.filter(issue=issue, kind=AlertKind.REGRESSION).exists())
        send_due_alerts()
        regression = smtp_server.messages[2:]
        assert len(regression) == 2
        assert regression[0]["Subject"].startswith("[Backend] Regression: ZeroDivisionError")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)


def test_serve_runs_the_sender_beside_the_worker(project):
    """`make run` runs `serve`: its background commands must include the alert sender."""
    server = SmtpServer().start()
    serve = start_command("serve", "--background-only", EMAIL_URL=server.url)
    try:
        new_issue_with_alert(project, title="RuntimeError: from serve")
        messages = server.wait_for(2, timeout=30)
        assert sorted(m["To"] for m in messages) == ["member@example.com", "owner@example.com"]
        assert messages[0]["Subject"] == "[Backend] New issue: RuntimeError: from serve"
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=40)
        server.stop()
