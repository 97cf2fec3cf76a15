"""Several senders at once (threads with their own connections, and real processes)."""

import signal
import threading
import time
from collections import Counter

import pytest
from django.db import connections

from alerts.models import Alert, AlertDelivery, AlertStatus, DeliveryStatus
from alerts.sender import run, send_due_alerts
from projects.models import Membership
from projects.services import add_member
from tests.alert_factories import new_issue_with_alert
from tests.conftest import make_user
from tests.live import start_command
from tests.smtp import SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_smtp(settings):
    """Each message takes a moment, so that concurrent senders really overlap."""
    server = SmtpServer(delay=0.01).start()
    server.configure(settings)
    yield server
    server.stop()


def work_left() -> bool:
    return (
        Alert.objects.filter(status__in=[AlertStatus.PENDING, AlertStatus.SENDING])
        .exclude(kind="summary")
        .exists()
        or AlertDelivery.objects.filter(status=DeliveryStatus.PENDING).exists()
    )


def run_senders_in_threads(count: int) -> list[BaseException]:
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            deadline = time.monotonic() + 30
            while work_left() and time.monotonic() < deadline:
                send_due_alerts()
        except BaseException as exc:  # surfaced by the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def copies_per_recipient(messages) -> Counter:
    return Counter((m["Subject"], m["To"]) for m in messages)


def test_two_sender_threads_never_send_an_email_twice(project, slow_smtp, settings):
    settings.ALERTS_MAX_PER_PROJECT_PER_HOUR = 100
    for i in range(3):
        add_member(project, make_user(f"extra{i}"))
    for i in range(25):
        new_issue_with_alert(project, title=f"Error {i}")

    assert run_senders_in_threads(2) == []

    copies = copies_per_recipient(slow_smtp.messages)
    assert len(copies) == 25 * 5
    assert set(copies.values()) == {1}
    assert Alert.objects.filter(status=AlertStatus.SENT).count() == 25


def test_two_sender_threads_share_one_flood_quota(project, member, slow_smtp, settings):
    settings.ALERTS_MAX_PER_PROJECT_PER_HOUR = 5
    Membership.objects.filter(user=member).update(send_alerts=False)
    for i in range(40):
        new_issue_with_alert(project, title=f"Error {i}")

    assert run_senders_in_threads(2) == []

    assert len(slow_smtp.messages) == 5
    assert Alert.objects.filter(status=AlertStatus.HELD).count() == 35


@pytest.mark.live
def test_two_sender_processes_never_send_an_email_twice(project):
    server = SmtpServer(delay=0.01).start()
    senders = [
        start_command(
            "sendalerts", "--interval", "0.1", EMAIL_URL=server.url,
            ALERTS_MAX_PER_PROJECT_PER_HOUR="100",
        )
        for _ in range(2)
    ]  # fmt: skip
    try:
        for i in range(30):
            new_issue_with_alert(project, title=f"Error {i}")
        server.wait_for(60, timeout=60)
        deadline = time.monotonic() + 30
        while work_left():  # every delivery marked: no sender will send anything more
            assert time.monotonic() < deadline, "the senders did not finish"
            time.sleep(0.1)
    finally:
        for proc in senders:
            proc.send_signal(signal.SIGTERM)
        for proc in senders:
            proc.wait(timeout=20)  # exited: a duplicate in flight has arrived by now
        server.stop()
    copies = copies_per_recipient(server.messages)
    assert len(copies) == 60 and set(copies.values()) == {1}
    assert all(proc.returncode == 0 for proc in senders)


class WatchedStop(threading.Event):
    """The sender loop's stop event, which also tells when the loop starts a pause."""

    def __init__(self) -> None:
        super().__init__()
        self.pausing = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.pausing.set()
        return super().wait(timeout)


def test_the_sender_loop_leaves_its_pause_as_soon_as_it_is_stopped():
    stop = WatchedStop()

    def loop() -> None:
        run(interval=60, stop=stop)
        connections.close_all()

    thread = threading.Thread(target=loop)
    thread.start()
    assert stop.pausing.wait(10)  # one idle step done, in the 60 s pause now
    asked = time.monotonic()
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert time.monotonic() - asked < 5
