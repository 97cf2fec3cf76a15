"""A sender killed mid-batch: another sender takes its emails over within its short lease."""

import signal
import threading
import time
from collections import Counter

import pytest
from django.db import connections

from alerts.models import AlertDelivery, DeliveryStatus
from alerts.sender import send_due_alerts
from projects.services import add_member
from tests.alert_factories import new_issue_with_alert
from tests.conftest import make_user
from tests.live import start_command
from tests.smtp import SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)

RECIPIENTS = 12  # owner, member and ten more: more than one claim of ten


def recipients(messages) -> Counter:
    return Counter(m["To"] for m in messages)


@pytest.mark.live
def test_a_killed_sender_s_emails_are_sent_by_another_within_the_lease(project):
    for n in range(RECIPIENTS - 2):
        add_member(project, make_user(f"extra{n}"))
    server = SmtpServer(delay=0.5).start()  # slow, so that the kill lands mid-batch
    env = {"EMAIL_URL": server.url, "ALERTS_LEASE_SECONDS": "2"}
    first = start_command("sendalerts", "--interval", "0.2", **env)
    second = None
    try:
        new_issue_with_alert(project)
        assert len(server.wait_for(2, timeout=60)) >= 2, "the first sender never got going"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
        assert AlertDelivery.objects.filter(status=DeliveryStatus.PENDING).exists()
        second = start_command("sendalerts", "--interval", "0.2", **env)
        deadline = killed_at + 45
        while len(recipients(server.messages)) < RECIPIENTS and time.monotonic() < deadline:
            time.sleep(0.2)
        took = time.monotonic() - killed_at
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=20)
        server.stop()
    got = recipients(server.messages)
    assert len(got) == RECIPIENTS, f"{len(got)} of {RECIPIENTS} recipients after {took:.0f} s"
    print(f"takeover: all {RECIPIENTS} recipients {took:.1f} s after the kill")
    assert took < 45  # well within a minute, with a 2 s lease and a slow SMTP server
    assert not AlertDelivery.objects.filter(status=DeliveryStatus.PENDING).exists()


def test_a_live_sender_renews_its_lease_so_no_one_takes_its_emails(project, settings):
    settings.ALERTS_LEASE_SECONDS = 1
    server = SmtpServer(delay=0.3).start()  # ten emails take 3 s: three leases
    server.configure(settings)
    for n in range(RECIPIENTS - 2):
        add_member(project, make_user(f"extra{n}"))
    new_issue_with_alert(project)
    send_due_alerts()  # plans the deliveries (and sends them: reset below)
    AlertDelivery.objects.update(status=DeliveryStatus.PENDING, sent_at=None, claimed_until=None)
    server.inbox._messages.clear()

    def sender() -> None:
        try:
            deadline = time.monotonic() + 30
            while AlertDelivery.objects.filter(status=DeliveryStatus.PENDING).exists():
                send_due_alerts()
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        server.stop()
    assert set(recipients(server.messages).values()) == {1}
    assert len(recipients(server.messages)) == RECIPIENTS
