import signal
import time

import pytest

from events.models import Event
from ingest.models import IntakeEvent
from issues.models import Issue, IssueBucket, IssueTagValue
from projects.models import Project
from tests import pausing_worker
from tests.digest_factories import intake, python_error
from tests.live import start_command

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_worker_killed_mid_batch_loses_and_double_counts_nothing(project, tmp_path):
    for n in range(30):
        intake(project, python_error(type_=f"E{n % 3}", environment="prod"))
    marker = tmp_path / "marker"
    worker = pausing_worker.start(marker, 2, "worker", "--batch-size", "10")
    try:
        wait_until(marker.exists)  # the second batch is digested, its transaction still open
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert IntakeEvent.objects.count() == 20  # only the first batch committed
    assert Event.objects.count() == 10
    assert start_command("worker", "--once").wait(timeout=60) == 0
    assert not IntakeEvent.objects.exists()
    assert Event.objects.count() == 30
    assert sorted(Issue.objects.values_list("event_count", flat=True)) == [10, 10, 10]
    assert sum(IssueBucket.objects.values_list("count", flat=True)) == 30
    assert IssueTagValue.objects.get(key="environment", issue__title__startswith="E0").count == 10


def test_sigterm_finishes_the_batch_and_exits_zero(project, tmp_path):
    for _ in range(5):
        intake(project, python_error())
    marker = tmp_path / "marker"
    worker = pausing_worker.start(marker, 1, "worker", "--batch-size", "5")
    try:
        wait_until(marker.exists)  # inside the batch's transaction
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert not IntakeEvent.objects.exists()
    assert Issue.objects.get().event_count == 5


def test_worker_once_drains_the_queue(project):
    for _ in range(7):
        intake(project, python_error())
    assert start_command("worker", "--once", "--batch-size", "3").wait(timeout=60) == 0
    assert Issue.objects.get().event_count == 7


def test_two_workers_side_by_side_count_exactly(project):
    for n in range(300):
        intake(project, python_error(type_=f"E{n % 7}", tags={"n": str(n % 4)}))
    workers = [start_command("worker", "--once", "--batch-size", "20") for _ in range(2)]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]
    assert not IntakeEvent.objects.exists()
    assert Event.objects.count() == 300
    assert sum(Issue.objects.values_list("event_count", flat=True)) == 300
    assert Issue.objects.count() == 7
    assert sorted(Issue.objects.values_list("short_id", flat=True)) == list(range(1, 8))
    assert sum(IssueTagValue.objects.filter(key="n").values_list("count", flat=True)) == 300


def test_the_worker_enforces_retention_in_the_background(project):
    Project.objects.filter(pk=project.pk).update(retention_max_events=2)
    for _ in range(5):
        intake(project, python_error())
    worker = start_command("worker", "--retention-every", "0.2")
    try:
        wait_until(lambda: not IntakeEvent.objects.exists() and Event.objects.count() == 2)
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    assert Issue.objects.get().event_count == 5
