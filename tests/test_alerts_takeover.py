"""A sender killed mid-batch: another sender takes its emails and its channel deliveries over
within their short lease."""

import signal
import threading
import time
from collections import Counter

import pytest
from django.db import connections

from alerts.channel_admin import create_channel
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


@pytest.mark.live
def test_a_killed_sender_s_webhook_delivery_is_sent_by_another_within_a_minute(project, receivers):
    """With the default lease: the shipped settings must meet "within a minute"."""
    hook = receivers(hang=60)  # the first sender's request hangs, so the kill lands mid-send
    channel = create_channel(project, "webhook", hook.url)
    env = {"ALERT_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8", "EMAIL_URL": "dummymail://"}
    first = start_command("sendalerts", "--interval", "0.2", **env)
    second = None
    try:
        new_issue_with_alert(project)
        deadline = time.monotonic() + 60
        while not hook.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hook.requests, "the first sender never posted"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
        hook.hang = 0.0  # the receiver answers the next request at once
        delivery = AlertDelivery.objects.get(channel=channel)
        assert delivery.status == DeliveryStatus.PENDING and delivery.claim_token
        second = start_command("sendalerts", "--interval", "0.2", **env)
        deadline = killed_at + 60
        while len(hook.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        took = time.monotonic() - killed_at
        assert len(hook.requests) == 2, f"no second request {took:.0f} s after the kill"
        while time.monotonic() < deadline:  # the second sender records its answer
            delivery.refresh_from_db()
            if delivery.status != DeliveryStatus.PENDING:
                break
            time.sleep(0.1)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
    print(f"takeover: the webhook got its delivery again {took:.1f} s after the kill")
    assert took < 60
    assert delivery.status == DeliveryStatus.SENT
    assert hook.requests[0].body == hook.requests[1].body  # repeated, never lost


def test_a_live_sender_renews_the_lease_of_a_slow_channel_request(project, receivers, settings):
    """The channel's request outlasts three leases; the other sender never posts it again."""
    settings.ALERTS_LEASE_SECONDS = 1
    hook = receivers(hang=3.5)
    create_channel(project, "webhook", hook.url)
    new_issue_with_alert(project)
    first_done = threading.Event()

    def first() -> None:
        try:
            send_due_alerts()  # its own pool: waits for the request, renewing meanwhile
        finally:
            first_done.set()
            connections.close_all()

    def second() -> None:
        try:
            while not first_done.is_set():
                send_due_alerts()
                time.sleep(0.1)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    deadline = time.monotonic() + 10
    while not hook.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    threads[1].start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(hook.requests) == 1
    delivery = AlertDelivery.objects.get(channel__isnull=False)
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
